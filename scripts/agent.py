"""The care desk in a terminal (`make agent`): a person answers the shoppers the bot handed over.

    make agent                                   the queue; pick a ticket to chat in its conversation
    make agent ARGS="list"                       the queue, once
    make agent ARGS="show <conversation>"        a conversation's transcript
    make agent ARGS="reply <conversation> <text>"
    make agent ARGS="takeover <conversation> [--ticket TK-…]"  join a conversation (the bot pauses)
    make agent ARGS="handback <conversation>"    give it back to the bot (and close its ticket)
    make agent ARGS="close <ticket>"             close a ticket answered some other way

The queue is every open ticket the shopper was told a person would answer in the chat: hand-offs,
complaints and payment problems (the shop's open tickets). Opening one takes its conversation over
for that ticket — the bot pauses and its hand-off time-out stops — and handing back closes it.
Conversations, replies and hand-backs go to the care desk on the Rasa server (channels/desk.py).
A conversation is named by its id, which is the shop's customer id on every channel (`socketio:<id>`,
`messenger:<psid>`, `whatsapp:<wa_id>`, `rest:<sender>`), as the queue shows it.
URLs and tokens come from the environment or .env, as for `make run`. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any

from run_stack import load_env

POLL_SECONDS = 2.0
# Tickets a person answers in the shopper's chat (actions/handoff.py, actions/care.py).
QUEUE_KINDS = ("handoff", "complaint", "payment_issue")


class DeskFailure(Exception):
    """A call that failed, with what the server said."""


class Desk:
    def __init__(self, env: dict[str, str]) -> None:
        # The agents' tools hold the operators' shop token (the queue is /admin) and the desk's.
        missing = [k for k in ("SHOP_ADMIN_TOKEN", "DESK_API_TOKEN") if not env.get(k)]
        if missing:
            raise DeskFailure(f"{', '.join(missing)} not set: run `make run` once (it writes .env) or export them")
        self.shop, self.shop_token = env["SHOP_URL"].rstrip("/"), env["SHOP_ADMIN_TOKEN"]
        self.rasa, self.desk_token = env["RASA_URL"].rstrip("/"), env["DESK_API_TOKEN"]

    def _call(self, method: str, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read()).get("detail")
            except (ValueError, AttributeError):
                detail = None
            raise DeskFailure(f"{error.code}: {detail or error.reason}") from None
        except (urllib.error.URLError, OSError) as error:
            raise DeskFailure(f"cannot reach {url.split('/webhooks')[0]}: {error}") from None
        return json.loads(raw) if raw else None

    def queue(self) -> list[dict[str, Any]]:
        """The open tickets a person answers in the chat, oldest first."""
        query = urllib.parse.urlencode({"status": "open", "limit": 200})
        tickets = self._call("GET", f"{self.shop}/admin/tickets?{query}", self.shop_token)["items"]
        return [t for t in tickets if t["kind"] in QUEUE_KINDS][:50]

    def close(self, ticket: str) -> None:
        self._call("POST", f"{self.shop}/admin/tickets/{urllib.parse.quote(ticket, safe='')}/close", self.shop_token)

    def _conversation_url(self, conversation: str, action: str = "") -> str:
        # The conversation id is the customer id (`socketio:abc`); the desk decodes its path.
        url = f"{self.rasa}/webhooks/desk/conversations/{urllib.parse.quote(conversation, safe='')}"
        return f"{url}/{action}" if action else url

    def show(self, conversation: str) -> dict[str, Any]:
        return dict(self._call("GET", self._conversation_url(conversation), self.desk_token))

    def reply(self, conversation: str, text: str, agent: str) -> None:
        self._call("POST", self._conversation_url(conversation, "messages"), self.desk_token,
                   {"text": text, "agent": agent})

    def takeover(self, conversation: str, ticket: str | None = None) -> dict[str, Any]:
        body = {"ticket": ticket} if ticket else {}
        return dict(self._call("POST", self._conversation_url(conversation, "takeover"), self.desk_token, body))

    def handback(self, conversation: str) -> dict[str, Any]:
        return dict(self._call("POST", self._conversation_url(conversation, "handback"), self.desk_token, {}))


# --- printing -------------------------------------------------------------------------


def _age(created_at: str) -> str:
    try:
        minutes = (datetime.now(timezone.utc) - datetime.fromisoformat(created_at)).total_seconds() / 60
    except ValueError:
        return ""
    return f"{minutes:.0f} min ago" if minutes < 120 else f"{minutes / 60:.0f} h ago"


def print_queue(tickets: list[dict[str, Any]]) -> None:
    if not tickets:
        print("No shopper is waiting for a person.")
    for number, ticket in enumerate(tickets, 1):
        kind = ticket["kind"].replace("_", " ")
        print(f"  [{number}] {ticket['ticket_id']}  {kind:<13} {ticket['customer_id']}  {_age(ticket['created_at'])}\n"
              f"       {ticket['subject']}")


def window_text(state: dict[str, Any]) -> str | None:
    """On Messenger and WhatsApp, when the shopper last wrote and how a reply would go (Meta's window)."""
    window = state.get("window")
    if not isinstance(window, dict):
        return None
    how = window.get("person_reply")
    said = "a reply cannot go out until the shopper writes again" if how == "refused" else f"a reply goes as {how}"
    return f"Last wrote {window.get('last_wrote') or 'not in the last 8 days'}: {said}."


def line_text(line: dict[str, Any]) -> str:
    who = {"shopper": "shopper", "bot": "bot", "agent": f"agent {line.get('agent', '')}".strip()}.get(
        line["from"], "·")
    buttons = f"  [{' | '.join(line['buttons'])}]" if line.get("buttons") else ""
    return f"{who:>14}> {line['text']}{buttons}"


# --- the interactive desk ---------------------------------------------------------------


def _key(line: dict[str, Any]) -> tuple[str, str, str]:
    return (str(line.get("time")), line["from"], line["text"])


def chat(desk: Desk, conversation: str, agent: str, ticket: str | None = None) -> None:
    """Takes the conversation over, shows the transcript, then new messages as they come; what the
    agent types is sent."""
    if not desk.show(conversation)["paused"]:
        print("The bot is answering this conversation; taking it over (the shopper is told).")
    # Also when paused for a hand-off: a person is here now, so its time-out must not bring the bot
    # back while they are writing.
    state = desk.takeover(conversation, ticket)
    seen = {_key(line) for line in state["messages"]}
    for line in state["messages"]:
        print(line_text(line))
    window = window_text(desk.show(conversation))
    if window:
        print(window)
    print("Type a reply and Enter. /back hands back to the bot, /leave keeps it paused, /quit exits.")
    stop = threading.Event()

    def follow() -> None:
        while not stop.wait(POLL_SECONDS):
            try:
                messages = desk.show(conversation)["messages"]
            except DeskFailure:
                continue  # Rasa restarting: keep trying
            for message in messages:
                if _key(message) not in seen:
                    seen.add(_key(message))
                    if message["from"] != "agent":  # the agent's own lines are on screen already
                        print(f"\r{line_text(message)}\n> ", end="", flush=True)

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        while True:
            text = input("> ").strip()
            if text == "/back":
                desk.handback(conversation)
                print("Handed back: the bot answers again.")
                return
            if text == "/leave":
                return
            if text == "/quit":
                raise SystemExit(0)
            if text:
                try:
                    desk.reply(conversation, text, agent)
                except DeskFailure as failure:
                    print(f"Not sent: {failure}")
    finally:
        stop.set()


def interactive(desk: Desk, agent: str) -> None:
    while True:
        tickets = desk.queue()
        print_queue(tickets)
        choice = input("Number or conversation to open (Enter refreshes, q quits): ").strip()
        if choice in ("q", "quit"):
            return
        if not choice:
            continue
        ticket = None
        if choice.isdigit() and 1 <= int(choice) <= len(tickets):
            choice, ticket = tickets[int(choice) - 1]["customer_id"], tickets[int(choice) - 1]["ticket_id"]
        try:
            chat(desk, choice, agent, ticket)
        except DeskFailure as failure:
            print(f"Cannot open {choice}: {failure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The care desk: answer the shoppers the bot handed over.")
    parser.add_argument("--as", dest="agent", default="Bottega team", help="the name shoppers see")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list")
    for name in ("show", "handback"):
        sub.add_parser(name).add_argument("conversation")
    takeover = sub.add_parser("takeover")
    takeover.add_argument("conversation")
    takeover.add_argument("--ticket", help="the ticket this is for: handing back closes it")
    sub.add_parser("close").add_argument("ticket")
    reply = sub.add_parser("reply")
    reply.add_argument("conversation")
    reply.add_argument("text", nargs="+")
    args = parser.parse_args(argv)
    try:
        desk = Desk(load_env())
        if args.command is None:
            interactive(desk, args.agent)
        elif args.command == "list":
            print_queue(desk.queue())
        elif args.command == "close":
            desk.close(args.ticket)
            print("closed")
        elif args.command == "reply":
            desk.reply(args.conversation, " ".join(args.text), args.agent)
            print("sent")
        else:
            state = (desk.takeover(args.conversation, args.ticket) if args.command == "takeover"
                     else getattr(desk, args.command)(args.conversation))
            print(f"{state['conversation_id']} on {state['channel']}: "
                  f"{'paused, with a person' if state['paused'] else 'the bot answers'}")
            for line in state["messages"]:
                print(line_text(line))
            if window_text(state):
                print(window_text(state))
    except DeskFailure as failure:
        print(f"agent: {failure}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
