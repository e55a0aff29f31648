"""A Sanic server with the Messenger and WhatsApp channels and a stub Graph API, for
tests/channels/test_meta_webhooks.py.

`python -m tests.channels.meta_server <port>` with MESSENGER_* and WHATSAPP_* set (the channels'
credentials, as credentials.yml reads them; WHATSAPP_ORDER_UPDATE_TEMPLATE and
WHATSAPP_AGENT_REPLY_TEMPLATE, WHATSAPP_CATALOG_ID optional) and META_SEEN_STORE (an SQLite path, `memory` or a Redis
URL); with DESK_API_TOKEN the care desk (channels/desk.py) is served too. The channels are
registered as `rasa run` registers them, and send to the Graph API at META_GRAPH_URL, which the
tests point at this same server's stub:

    POST /graph/<version>/me/messages, /graph/<version>/<number>/messages   captured, answered like Meta;
         recipient 4290000000001 gets 429 twice for each call, then 200; 5000000000001 always 500
    POST, DELETE /graph/<version>/me/messenger_profile   captured with the method; {"result": "success"},
         or 400 code 190 for the EXPIRED_TOKEN
    GET  /test/graph      every call the stub took: {"path", "authorization", "body"}
    GET  /test/said       every message the channels passed on: {"channel", "sender", "text", "message_id", "metadata"}
    POST /test/reset      wait for the turns under way, then forget both
    POST /test/trigger/<conversation>  {"name", "entities"}: what Rasa's trigger_intent with
         output_channel=latest does (a payment notice, the hand-off time-out's hand-back)

Instead of Rasa's dialogue, the bot (`FakeAgent`) answers with the actions' own neutral messages:
"cards <n>" → actions.responses.product_cards of n products and the "show more" hint; "product <n>" →
the details of product n (SH-<n>; a product message naming SH-404 is refused with 400, as Meta
refuses a retailer id its catalogue lacks); "buttons <n>"
→ a text with n buttons; "pay" → a text with a pay link; "wait <seconds> <text>" → waits, then
echoes; anything else → "echo: <text>". Each turn is recorded in an in-memory tracker store, as Rasa
records it (the desk reads and updates it); a paused conversation is recorded, not answered. A
triggered `payment_received` is answered with the payment notice the action sends for the shop's
notice (an order update); `handback` with the bot's hand-back line.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from decimal import Decimal
from typing import Any

from rasa.core.actions.action import create_bot_utterance
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage, register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.clients.shop import ProductDetails, ProductSummary
from actions.responses import (
    BotMessage,
    button,
    more_results_hint,
    product_cards,
    product_details,
    text,
    url_button,
)
from channels.desk import DeskInput
from channels.messenger import MessengerInput
from channels.whatsapp import WhatsAppInput

DOMAIN = Domain.from_dict({"intents": ["greet", "payment_received", "handback"], "actions": []})

NOT_IN_CATALOGUE = "SH-404"  # a product message naming it is refused, as Meta refuses an unknown retailer id
RATE_LIMITED = "4290000000001"
EXPIRED_TOKEN = "EAAGexpiredPageToken0123456789"  # the stub refuses it as Meta refuses an expired token
FAILING = "5000000000001"


def product(n: int) -> ProductSummary:
    return ProductSummary(f"SH-{n:03d}", f"Trailblazer Waterproof Hiking Boot Edition {n}", "shoes", "Montagna",
                          Decimal("129.90") + n, "EUR", ["brown"], ["42"], n % 3 != 0,
                          f"https://shop.example.com/images/SH-{n:03d}.png")


def products(count: int) -> list[ProductSummary]:
    return [product(n) for n in range(1, count + 1)]


def answer(said: str) -> list[BotMessage]:
    words = said.split()
    if len(words) == 2 and words[0] == "cards" and words[1].isdigit():
        count = int(words[1])
        return [product_cards(products(count), "Here are hiking boots:"), more_results_hint(count, count + 5)]
    if len(words) == 2 and words[0] == "buttons" and words[1].isdigit():
        titles = ["Women's running shoes and accessories", "Kids", "Home & kitchen", "Outdoor", "Sale"]
        return [text("Pick a department:", [button(f"{titles[n % len(titles)]} {n}", "search_product", department=n)
                                            for n in range(int(words[1]))])]
    if len(words) == 2 and words[0] == "product" and words[1].isdigit():
        return [product_details(ProductDetails(**product(int(words[1])).__dict__, description="Waterproof."))]
    if said == "pay":
        return [text("Order BT-7K3MZQ2P is placed. Pay within 60 minutes:",
                     [url_button("Pay now", "https://shop.example.com/pay/BT-7K3MZQ2P"),
                      button("Cancel the order", "cancel_order", order_id="BT-7K3MZQ2P")])]
    return [text(f"echo: {said}")]


async def utter(output: OutputChannel, tracker: DialogueStateTracker, messages: list[BotMessage]) -> None:
    """Sends the actions' messages as Rasa does: each through the output channel as its BotUttered's
    `message()` (what an action adds to `utter_message` becomes the event's metadata), recorded."""
    dispatcher = CollectingDispatcher()
    for bot_message in messages:
        bot_message.send(dispatcher)
    for sent in dispatcher.messages:
        uttered = create_bot_utterance({key: value for key, value in sent.items() if value})
        await output.send_response(tracker.sender_id, uttered.message())
        tracker.update(uttered)


class FakeProcessor:
    """What Rasa's trigger_intent and the desk's hand-back use of the MessageProcessor, without a model."""

    async def trigger_external_user_uttered(self, intent_name: str, entities: Any, tracker: DialogueStateTracker,
                                            output_channel: OutputChannel) -> None:
        values = dict(entities or {})
        # Rasa's processor turns trigger_intent's {"entity": value} into its entity list so.
        entity_list = [{"entity": name, "value": value} for name, value in values.items()]
        tracker.update(UserUttered.create_external(intent_name, entity_list, input_channel=output_channel.name()))
        if tracker.is_paused():
            return
        if intent_name == "payment_received":
            order_id = values.get("order_id", "BT-7K3MZQ2P")
            # actions/orders.py answers the shop's notice so (order_messages.payment_received, an order update)
            notice = text(f"Payment received for {order_id} — we'll let you know when it ships.")
            await utter(output_channel, tracker, [notice.as_order_update()])
        elif intent_name == "handback":
            await utter(output_channel, tracker, [text("I'm back: the bot answers again.")])


class FakeAgent:
    """What `register`'s handler and the desk call on Rasa's agent: handle_message, answering as Rasa
    does (each bot message's dict through the output channel's send_response), and the stores."""

    def __init__(self) -> None:
        self.said: list[dict[str, Any]] = []
        self.tracker_store = InMemoryTrackerStore(DOMAIN)
        self.lock_store = InMemoryLockStore()
        self.processor = FakeProcessor()

    async def handle_message(self, message: UserMessage) -> None:
        self.said.append({"channel": message.input_channel, "sender": message.sender_id, "text": message.text,
                          "message_id": message.message_id, "metadata": message.metadata})
        said = str(message.text)
        if said.startswith("wait "):
            _, seconds, said = said.split(" ", 2)
            await asyncio.sleep(float(seconds))
        async with self.lock_store.lock(str(message.sender_id)):
            tracker = await self.tracker_store.get_or_create_tracker(str(message.sender_id))
            tracker.update(ActionExecuted("action_listen"))
            tracker.update(UserUttered(message.text, {"name": "greet"}, input_channel=message.input_channel,
                                       message_id=message.message_id, metadata=message.metadata))
            if not tracker.is_paused():
                await utter(message.output_channel, tracker, answer(said))
            await self.tracker_store.save(tracker)


def build() -> Sanic:
    app = Sanic("meta_test")
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 1
    agent = FakeAgent()
    app.ctx.agent = agent
    graph: list[dict[str, Any]] = []
    attempts: dict[str, int] = {}
    common = {"graph_url": os.environ["META_GRAPH_URL"], "graph_version": os.environ["META_GRAPH_VERSION"],
              "seen_store": os.environ["META_SEEN_STORE"]}
    templates = {"order_update_template": os.environ.get("WHATSAPP_ORDER_UPDATE_TEMPLATE"),
                 "agent_reply_template": os.environ.get("WHATSAPP_AGENT_REPLY_TEMPLATE")}
    messenger = MessengerInput.from_credentials({
        **common, "app_secret": os.environ["MESSENGER_APP_SECRET"],
        "verify_token": os.environ["MESSENGER_VERIFY_TOKEN"],
        "page_access_token": os.environ["MESSENGER_PAGE_ACCESS_TOKEN"]})
    whatsapp = WhatsAppInput.from_credentials({
        **common, "app_secret": os.environ["WHATSAPP_APP_SECRET"], "verify_token": os.environ["WHATSAPP_VERIFY_TOKEN"],
        "access_token": os.environ["WHATSAPP_ACCESS_TOKEN"],
        "phone_number_id": os.environ["WHATSAPP_PHONE_NUMBER_ID"], **templates,
        "catalog_id": os.environ.get("WHATSAPP_CATALOG_ID")})
    for channel in (messenger, whatsapp):
        channel.client.backoff = 0.05  # the retry test need not wait Meta's pauses
    channels: list[InputChannel] = [messenger, whatsapp]
    if os.environ.get("DESK_API_TOKEN"):
        channels.append(DeskInput.from_credentials({"token": os.environ["DESK_API_TOKEN"]}))
    register(channels, app, "/webhooks/")
    app.ctx.input_channels = channels  # as `rasa run` keeps them: the desk finds the shopper's channel there

    @app.route("/graph/<version>/<path:path>", methods=["POST", "DELETE"])
    async def graph_api(request: Request, version: str, path: str) -> HTTPResponse:
        body = request.json
        if path == "me/messenger_profile":  # the page's profile (scripts/messenger_profile.py)
            graph.append({"path": f"{version}/{path}", "method": request.method,
                          "authorization": request.headers.get("Authorization"), "body": body})
            if request.headers.get("Authorization") == f"Bearer {EXPIRED_TOKEN}":
                return response.json({"error": {"message": "Error validating access token: Session has expired",
                                                "type": "OAuthException", "code": 190, "fbtrace_id": "stub"}}, 400)
            return response.json({"result": "success"})
        recipient = str((body.get("recipient") or {}).get("id") or body.get("to") or "")
        call = json.dumps(body, sort_keys=True)  # the same call again is an attempt of it
        attempts[call] = attempts.get(call, 0) + 1
        graph.append({"path": f"{version}/{path}", "authorization": request.headers.get("Authorization"),
                      "body": body, "attempt": attempts[call]})
        if NOT_IN_CATALOGUE in json.dumps(body.get("interactive", {}).get("action", {})):
            return response.json({"error": {"message": "(#131009) Parameter value is not valid", "type":
                                            "OAuthException", "code": 131009, "fbtrace_id": "stub"}}, 400)
        if recipient == FAILING or (recipient == RATE_LIMITED and attempts[call] <= 2):
            status = 500 if recipient == FAILING else 429
            return response.json({"error": {"message": "stub says no", "type": "OAuthException", "code": 4,
                                            "fbtrace_id": "stub"}}, status)
        return response.json({"recipient_id": recipient, "message_id": f"m_{len(graph)}"})

    @app.get("/test/graph")
    async def captured(_: Request) -> HTTPResponse:
        return response.json(graph)

    @app.get("/test/said")
    async def said(_: Request) -> HTTPResponse:
        return response.json(agent.said)

    @app.post("/test/reset")
    async def reset(_: Request) -> HTTPResponse:
        # A test's turns may still be running (a slow bot, a retry's pause): they end before the
        # next test starts, or their calls would land in its capture.
        for channel in (messenger, whatsapp):
            await channel.queues.drain()
        graph.clear()
        agent.said.clear()
        attempts.clear()
        agent.tracker_store.store.clear()
        return response.json({"reset": True})

    @app.post("/test/trigger/<conversation_id>")
    async def trigger(request: Request, conversation_id: str) -> HTTPResponse:
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.get_or_create_tracker(conversation_id)
            latest = tracker.get_latest_input_channel()
            output = next(channel.get_output_channel() for channel in channels if channel.name() == latest)
            await agent.processor.trigger_external_user_uttered(request.json["name"], request.json.get("entities"),
                                                                tracker, output)
            await agent.tracker_store.save(tracker)
        return response.json({"triggered": True})

    return app


if __name__ == "__main__":
    build().run("127.0.0.1", int(sys.argv[1]), access_log=False)
