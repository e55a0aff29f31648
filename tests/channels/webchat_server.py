"""A Sanic server with only the web chat's channel, for tests/channels/test_webchat_sessions.py.

`python -m tests.channels.webchat_server <port>` with WEBCHAT_SESSION_SECRET (and optionally
WEBCHAT_SESSION_SECRET_PREVIOUS) set. What Rasa would be handed is recorded instead:
GET /recorded lists (conversation id, text) of every message the channel passed on, and
POST /push {"conversation", "text", "agent"?, "delay"?} sends a bot message to a conversation (Rasa's
id, `socketio:<session id>`; the tests send other channels' ids too) the
way Rasa does (the shop's payment notices, an agent's reply): under the conversation's lock it emits
the message, waits `delay` seconds (a turn still running) and records it in the conversation's
tracker. As in Rasa, `app.ctx.agent` has the tracker store and the lock store (in memory), and the
shoppers' messages are recorded in their conversations' trackers too.

With `--answer`, every message passed on is answered, as Rasa would, with a bot message
`{"text": "received"}` to its conversation: what tests/channels/test_fuzz_webchat.py waits for.
WEBCHAT_JWT_KEY, if set, is the channel's `jwt_key` (a socket must connect with a signed token).
WEBCHAT_REDIS_URL, if set, shares emits with the other servers on that Redis (two of these are two
Rasa workers: tests/channels/test_webchat_workers.py), on the pub/sub channel WEBCHAT_PUBSUB_CHANNEL.
"""

from __future__ import annotations

import asyncio
import os
import sys
from types import SimpleNamespace
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.webchat import WebChatInput

ANSWER = "received"


def build(answer: bool = False) -> Sanic:
    app = Sanic("webchat_test")
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 1  # the tests' long-polls are not waited for
    recorded: list[tuple[str, str]] = []
    agent = SimpleNamespace(tracker_store=InMemoryTrackerStore(Domain.empty()), lock_store=InMemoryLockStore())
    app.ctx.agent = agent
    channel = WebChatInput.from_credentials({
        "user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True,
        "session_secret": os.environ["WEBCHAT_SESSION_SECRET"],
        "jwt_key": os.environ.get("WEBCHAT_JWT_KEY") or None,
        "pubsub_channel": os.environ.get("WEBCHAT_PUBSUB_CHANNEL") or None,
    })

    async def on_new_message(message: UserMessage) -> None:
        recorded.append((str(message.sender_id), str(message.text)))
        async with agent.lock_store.lock(message.sender_id):
            tracker = await agent.tracker_store.get_or_create_tracker(message.sender_id, append_action_listen=False)
            tracker.update(UserUttered(message.text, input_channel=message.input_channel))
            await agent.tracker_store.save(tracker)
        if answer and message.output_channel is not None:
            await message.output_channel.send_text_message(str(message.sender_id), ANSWER)

    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/socketio")

    @app.get("/recorded")
    async def show(_: Request) -> HTTPResponse:
        return response.json(recorded)

    @app.post("/push")
    async def push(request: Request) -> HTTPResponse:
        body: dict[str, Any] = request.json
        output = channel.get_output_channel()
        assert output is not None
        conversation = body["conversation"]
        said = BotUttered(body["text"], metadata={"agent": body["agent"]} if body.get("agent") else {})
        async with agent.lock_store.lock(conversation):
            tracker = await agent.tracker_store.get_or_create_tracker(conversation, append_action_listen=False)
            await output.send_response(conversation, said.message())
            await asyncio.sleep(float(body.get("delay", 0)))
            tracker.update(said)
            await agent.tracker_store.save(tracker)
        return response.json({"sent": True, "timestamp": said.timestamp})

    return app


if __name__ == "__main__":
    build(answer="--answer" in sys.argv[2:]).run("127.0.0.1", int(sys.argv[1]), access_log=False)
