// Bottega's browser chat: talks to Rasa's socket.io channel (channels/webchat.py).
// One bot message arrives as one `bot_uttered` event:
//   {text?, buttons?: [{title, payload} | {title, url}], quick_replies?, image?, attachment?, custom?}
// where custom may be {type: "product_cards", cards: [{sku, title, subtitle, image_url, buttons}]},
// and agent, on a person's messages from the care desk, is their name. A custom
// {type: "conversation_erased"} ("delete my data" done) makes the page forget its stored copy.
// The server picks the conversation: `session_confirm` brings its id and a signed session token,
// the page's only credential, which a reload hands back (`session_request {session_token}`); a
// token the server refuses (`session_error`) starts a new conversation.
// Each bot message carries its `timestamp` in the conversation's record. Coming back (a reload, a
// reopened tab, a reconnection), the page says the newest one it shows (`since`) and the server
// first sends the bot messages recorded after it in one `missed_messages {messages}`: an agent's
// reply or a payment notice sent while no tab was open. A message whose timestamp the page
// already shows is not shown twice.
(function () {
  "use strict";

  const config = window.BOTTEGA_CONFIG || {};
  // Empty: Rasa is behind the same origin as the page (deploy/nginx.conf).
  const RASA_URL = config.rasaUrl || location.origin;
  const SESSION_KEY = "bottega.session_id"; // the conversation's id: public (it is in the customer id)
  const TOKEN_KEY = "bottega.session_token"; // what opens the conversation: never leaves this browser
  const HISTORY_KEY = "bottega.history";
  const HISTORY_LIMIT = 200;
  const TYPING_TIMEOUT_MS = 30000;
  const URL_PATTERN = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])/g;

  const log = document.getElementById("log");
  const input = document.getElementById("input");
  const sendButton = document.getElementById("send");
  const form = document.getElementById("composer");
  const banner = document.getElementById("banner");
  const typing = document.getElementById("typing");
  const status = document.getElementById("status");

  // --- the conversation's identity and history (a reload continues both) -----------------

  function storage(key, fallback) {
    try {
      const value = localStorage.getItem(key);
      return value === null ? fallback : JSON.parse(value);
    } catch (_) {
      return fallback;
    }
  }

  function store(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (_) {
      /* private mode or full: the chat still works, it just forgets on reload */
    }
  }

  let sessionId = storage(SESSION_KEY, null);
  let sessionToken = storage(TOKEN_KEY, null);
  let history = storage(HISTORY_KEY, {});
  if (!sessionToken || history.session !== sessionId) history = { session: sessionId, entries: [] };
  // Messages typed before the server confirmed the session wait for it.
  let confirmed = false;
  const waiting = [];

  // The timestamp of the newest bot message this page shows: 0 when it shows none yet (send it
  // all), null when its messages predate timestamps (it can't say what it has: send nothing).
  function since() {
    const bots = history.entries.filter((entry) => entry.who === "bot");
    for (let i = bots.length - 1; i >= 0; i -= 1) {
      const timestamp = (bots[i].message || {}).timestamp;
      if (typeof timestamp === "number") return timestamp;
    }
    return bots.length ? null : 0;
  }

  function alreadyShown(message) {
    return typeof message.timestamp === "number"
      && history.entries.some((entry) => entry.who === "bot" && (entry.message || {}).timestamp === message.timestamp);
  }

  function remember(entry) {
    history.entries.push(entry);
    history.entries = history.entries.slice(-HISTORY_LIMIT);
    store(HISTORY_KEY, history);
  }

  // --- rendering ---------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Text with its line breaks (CSS pre-wrap) and clickable links; never parsed as HTML.
  function richText(text) {
    const node = el("div", "text");
    String(text).split(URL_PATTERN).forEach((part, index) => {
      if (index % 2 === 1) {
        const link = el("a", null, part);
        link.href = part;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        node.appendChild(link);
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
    return node;
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(url, location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  // A payload button sends its payload and shows its title; a url button opens a new tab.
  function buttonNode(button, className) {
    const url = button.url && safeUrl(button.url);
    if (url) {
      const link = el("a", `${className} link-button`, button.title || url);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      return link;
    }
    const node = el("button", className, button.title || button.payload);
    node.type = "button";
    node.addEventListener("click", () => send(button.payload || button.title, button.title));
    return node;
  }

  function imageNode(src, alt, className) {
    const url = safeUrl(src);
    if (!url) return null;
    const img = el("img", className);
    img.src = url;
    img.alt = alt || "";
    img.loading = "lazy";
    // A picture that fails to load leaves its frame empty rather than a broken-image icon.
    img.addEventListener("error", () => img.classList.add("broken"));
    img.addEventListener("load", scrollDown);
    return img;
  }

  function productCards(cards) {
    const carousel = el("div", "carousel");
    carousel.setAttribute("role", "list");
    cards.forEach((card, index) => {
      const item = el("article", "card");
      item.setAttribute("role", "listitem");
      item.dataset.sku = card.sku || "";
      const media = el("div", "card-media");
      const img = imageNode(card.image_url, card.title, "card-image");
      if (img) media.appendChild(img);
      // "add the 2nd one" refers to these numbers (actions/responses.py numbers the cards).
      media.appendChild(el("span", "card-number", String(card.number || index + 1)));
      item.appendChild(media);
      const body = el("div", "card-body");
      body.appendChild(el("h3", "card-title", card.title));
      if (card.subtitle) body.appendChild(el("p", "card-subtitle", card.subtitle));
      if (card.description) body.appendChild(el("p", "card-description", card.description));
      item.appendChild(body);
      const actions = el("div", "card-buttons");
      (card.buttons || []).forEach((b) => actions.appendChild(buttonNode(b, "card-button")));
      item.appendChild(actions);
      carousel.appendChild(item);
    });
    return carousel;
  }

  function firstNumber(text) {
    const match = /^\s*(\d+)\./m.exec(text || "");
    return match ? Number(match[1]) : 1;
  }

  function row(who) {
    const item = el("li", `row ${who}`);
    log.appendChild(item);
    return item;
  }

  // After layout (pictures and carousels change heights), to the newest message.
  function scrollDown() {
    requestAnimationFrame(() => log.scrollTo({ top: log.scrollHeight, behavior: "smooth" }));
  }

  // The banner and the typing indicator shrink the log: keep its newest message in view,
  // unless the shopper has scrolled up to read.
  let pinned = true;
  log.addEventListener("scroll", () => {
    pinned = log.scrollHeight - log.clientHeight - log.scrollTop < 48;
  });
  if (window.ResizeObserver) {
    new ResizeObserver(() => {
      if (pinned) log.scrollTop = log.scrollHeight;
    }).observe(log);
  }

  function renderUser(text) {
    row("user").appendChild(el("div", "bubble", text));
  }

  function renderBot(message) {
    const item = row("bot");
    const custom = message.custom || null;
    const hasCards = custom && custom.type === "product_cards" && Array.isArray(custom.cards);
    let text = message.text;
    if (hasCards && text) {
      // The cards say what the numbered text lines say: keep only the intro line.
      text = text.split("\n")[0];
    }
    if (message.agent) {
      // A person from the shop's team wrote this (the care desk), not the bot.
      item.appendChild(el("div", "agent-name", `${message.agent} · Bottega team`));
    }
    if (text) {
      const bubble = el("div", "bubble");
      bubble.appendChild(richText(text));
      item.appendChild(bubble);
    }
    const image = message.image || (message.attachment && message.attachment.type === "image"
      && message.attachment.payload && message.attachment.payload.src);
    if (image) {
      const img = imageNode(image, "", "message-image");
      if (img) item.appendChild(img);
    }
    if (hasCards) {
      const start = firstNumber(message.text);
      item.appendChild(productCards(custom.cards.map((c, i) => Object.assign({ number: start + i }, c))));
    }
    const buttons = message.buttons || [];
    const quickReplies = message.quick_replies || [];
    if (buttons.length || quickReplies.length) {
      const bar = el("div", "buttons");
      buttons.concat(quickReplies).forEach((b) => bar.appendChild(buttonNode(b, "chip")));
      item.appendChild(bar);
    }
    if (!item.childNodes.length) item.remove();
  }

  function render(entry) {
    log.querySelectorAll(".row.hint").forEach((hint) => hint.remove());
    if (entry.who === "user") renderUser(entry.text);
    else renderBot(entry.message);
    scrollDown();
  }

  // --- the typing indicator and the connection banner --------------------------------------

  let typingTimer = null;
  function showTyping(on) {
    clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) {
      typingTimer = setTimeout(() => showTyping(false), TYPING_TIMEOUT_MS);
      scrollDown();
    }
  }

  function setOnline(online, text) {
    banner.hidden = online;
    if (!online) banner.textContent = text || "Connection lost — reconnecting…";
    status.textContent = online ? "online" : "reconnecting…";
    document.body.classList.toggle("offline", !online);
  }

  // --- talking to Rasa ---------------------------------------------------------------------

  const socket = io(RASA_URL, { path: "/socket.io", transports: ["websocket", "polling"] });
  let everConnected = false;

  socket.on("connect", () => {
    everConnected = true;
    // Every (re)connection asks for its session again: that puts this socket in the
    // session's room, where answers and the shop's notices (payment received …) arrive.
    requestSession(sessionToken);
    setOnline(true);
  });
  socket.on("session_confirm", (session) => {
    if (!session || typeof session !== "object") return;
    if (session.session_id !== sessionId) {
      history = { session: session.session_id, entries: [] };
      store(HISTORY_KEY, history);
    }
    sessionId = session.session_id;
    sessionToken = session.session_token;
    store(SESSION_KEY, sessionId);
    store(TOKEN_KEY, sessionToken);
    confirmed = true;
    waiting.splice(0).forEach((message) => socket.emit("user_uttered", { message }));
  });
  socket.on("session_error", (error) => {
    if (error && error.code === "invalid_session_token") {
      // The stored token is not valid (any more): start afresh rather than speak nowhere.
      sessionToken = null;
      store(TOKEN_KEY, null);
      requestSession(null);
    } else if (error && error.code === "no_session") {
      requestSession(sessionToken);
    } else if (error && error.code === "bad_since") {
      requestSession(sessionToken, false); // the conversation without what it missed, rather than none
    }
  });
  socket.on("disconnect", () => setOnline(false));
  socket.on("connect_error", () =>
    setOnline(false, everConnected ? "Connection lost — reconnecting…" : "Can't reach the assistant yet — retrying…"));
  function receive(message) {
    if (!message || typeof message !== "object" || alreadyShown(message)) return;
    showTyping(false);
    const entry = { who: "bot", message };
    remember(entry);
    render(entry);
    if (message.custom && message.custom.type === "conversation_erased") forgetConversation();
  }
  socket.on("bot_uttered", receive);
  socket.on("missed_messages", (missed) => {
    if (missed && Array.isArray(missed.messages)) missed.messages.forEach(receive);
  });

  // "Delete my data" done: the server erased this conversation, so the browser forgets its copy
  // and its session id too (what is on screen stays until the page is closed or reloaded).
  function forgetConversation() {
    history = { session: null, entries: [] };
    store(HISTORY_KEY, history);
    requestSession(null);
  }

  // No token: the server starts a new conversation (and this socket leaves the old one). With one,
  // the server also sends what the conversation said after `since` (what this page missed).
  function requestSession(token, withMissed = true) {
    confirmed = false;
    const request = token ? { session_token: token } : {};
    const position = token && withMissed ? since() : null;
    if (position !== null) request.since = position;
    socket.emit("session_request", request);
  }

  function send(payload, shown) {
    const message = String(payload || "").trim();
    if (!message) return;
    const entry = { who: "user", text: (shown || message).trim() };
    remember(entry);
    render(entry);
    if (confirmed) socket.emit("user_uttered", { message });
    else waiting.push(message);
    showTyping(true);
  }

  // --- the composer ------------------------------------------------------------------------

  function syncSendButton() {
    sendButton.disabled = !input.value.trim();
  }
  input.addEventListener("input", syncSendButton);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.value.trim()) return;
    send(input.value);
    input.value = "";
    syncSendButton();
    input.focus();
  });

  document.getElementById("restart").addEventListener("click", () => {
    history = { session: null, entries: [] };
    store(HISTORY_KEY, history);
    log.replaceChildren();
    showTyping(false);
    requestSession(null);
    input.focus();
  });

  history.entries.forEach(render);
  if (!history.entries.length) {
    row("hint").appendChild(el("div", "hint-text", 'Say hi, or ask for something — e.g. "running shoes under 100".'));
  }
  input.focus();
})();
