"""A Sanic server with the Messenger and WhatsApp channels and a stub Graph API, for
tests/channels/test_meta_webhooks.py.

`python -m tests.channels.meta_server <port>` with MESSENGER_* and WHATSAPP_* set (the channels'
credentials, as credentials.yml reads them) and META_SEEN_STORE (an SQLite path, `memory` or a
Redis URL). The channels are registered as `rasa run` registers them, and send to the Graph API at
META_GRAPH_URL, which the tests point at this same server's stub:

    POST /graph/<version>/me/messages, /graph/<version>/<number>/messages   captured, answered like Meta;
         recipient 4290000000001 gets 429 twice for each call, then 200; 5000000000001 always 500
    GET  /test/graph      every call the stub took: {"path", "authorization", "body"}
    GET  /test/said       every message the channels passed on: {"channel", "sender", "text", "message_id", "metadata"}
    POST /test/reset      wait for the turns under way, then forget both

Instead of Rasa's dialogue, the bot (`FakeAgent`) answers with the actions' own neutral messages:
"cards <n>" → actions.responses.product_cards of n products and the "show more" hint; "buttons <n>"
→ a text with n buttons; "pay" → a text with a pay link; "wait <seconds> <text>" → waits, then
echoes; anything else → "echo: <text>".
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from decimal import Decimal
from typing import Any

from rasa.core.channels.channel import UserMessage, register
from rasa_sdk.executor import CollectingDispatcher
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.clients.shop import ProductSummary
from actions.responses import BotMessage, button, more_results_hint, product_cards, text, url_button
from channels.messenger import MessengerInput
from channels.whatsapp import WhatsAppInput

RATE_LIMITED = "4290000000001"
FAILING = "5000000000001"


def products(count: int) -> list[ProductSummary]:
    return [ProductSummary(f"SH-{n:03d}", f"Trailblazer Waterproof Hiking Boot Edition {n}", "shoes", "Montagna",
                           Decimal("129.90") + n, "EUR", ["brown"], ["42"], n % 3 != 0,
                           f"https://shop.example.com/images/SH-{n:03d}.png")
            for n in range(1, count + 1)]


def answer(said: str) -> list[BotMessage]:
    words = said.split()
    if len(words) == 2 and words[0] == "cards" and words[1].isdigit():
        count = int(words[1])
        return [product_cards(products(count), "Here are hiking boots:"), more_results_hint(count, count + 5)]
    if len(words) == 2 and words[0] == "buttons" and words[1].isdigit():
        titles = ["Women's running shoes and accessories", "Kids", "Home & kitchen", "Outdoor", "Sale"]
        return [text("Pick a department:", [button(f"{titles[n % len(titles)]} {n}", "search_product", department=n)
                                            for n in range(int(words[1]))])]
    if said == "pay":
        return [text("Order BT-7K3MZQ2P is placed. Pay within 60 minutes:",
                     [url_button("Pay now", "https://shop.example.com/pay/BT-7K3MZQ2P"),
                      button("Cancel the order", "cancel_order", order_id="BT-7K3MZQ2P")])]
    return [text(f"echo: {said}")]


class FakeAgent:
    """What `register`'s handler calls on Rasa's agent: handle_message, answering as Rasa does
    (each bot message's dict through the output channel's send_response)."""

    def __init__(self) -> None:
        self.said: list[dict[str, Any]] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.said.append({"channel": message.input_channel, "sender": message.sender_id, "text": message.text,
                          "message_id": message.message_id, "metadata": message.metadata})
        said = str(message.text)
        if said.startswith("wait "):
            _, seconds, said = said.split(" ", 2)
            await asyncio.sleep(float(seconds))
        dispatcher = CollectingDispatcher()
        for bot_message in answer(said):
            bot_message.send(dispatcher)
        for sent in dispatcher.messages:
            # BotUttered.message(): what Rasa hands an output channel
            bot = {key: sent.get(key) for key in ("text", "buttons", "quick_replies", "image", "attachment",
                                                   "elements", "custom")}
            await message.output_channel.send_response(str(message.sender_id), bot)


def build() -> Sanic:
    app = Sanic("meta_test")
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 1
    agent = FakeAgent()
    app.ctx.agent = agent
    graph: list[dict[str, Any]] = []
    attempts: dict[str, int] = {}
    common = {"graph_url": os.environ["META_GRAPH_URL"], "graph_version": os.environ["META_GRAPH_VERSION"],
              "seen_store": os.environ["META_SEEN_STORE"]}
    messenger = MessengerInput.from_credentials({
        **common, "app_secret": os.environ["MESSENGER_APP_SECRET"],
        "verify_token": os.environ["MESSENGER_VERIFY_TOKEN"],
        "page_access_token": os.environ["MESSENGER_PAGE_ACCESS_TOKEN"]})
    whatsapp = WhatsAppInput.from_credentials({
        **common, "app_secret": os.environ["WHATSAPP_APP_SECRET"], "verify_token": os.environ["WHATSAPP_VERIFY_TOKEN"],
        "access_token": os.environ["WHATSAPP_ACCESS_TOKEN"],
        "phone_number_id": os.environ["WHATSAPP_PHONE_NUMBER_ID"]})
    for channel in (messenger, whatsapp):
        channel.client.backoff = 0.05  # the retry test need not wait Meta's pauses
    register([messenger, whatsapp], app, "/webhooks/")

    @app.post("/graph/<version>/<path:path>")
    async def graph_api(request: Request, version: str, path: str) -> HTTPResponse:
        body = request.json
        recipient = str((body.get("recipient") or {}).get("id") or body.get("to") or "")
        call = json.dumps(body, sort_keys=True)  # the same call again is an attempt of it
        attempts[call] = attempts.get(call, 0) + 1
        graph.append({"path": f"{version}/{path}", "authorization": request.headers.get("Authorization"),
                      "body": body, "attempt": attempts[call]})
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
        return response.json({"reset": True})

    return app


if __name__ == "__main__":
    build().run("127.0.0.1", int(sys.argv[1]), access_log=False)
