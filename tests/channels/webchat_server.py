"""A Sanic server with only the web chat's channel, for tests/channels/test_webchat_sessions.py.

`python -m tests.channels.webchat_server <port>` with WEBCHAT_SESSION_SECRET (and optionally
WEBCHAT_SESSION_SECRET_PREVIOUS) set. What Rasa would be handed is recorded instead:
GET /recorded lists (sender id, text) of every message the channel passed on, and
POST /push {"conversation", "text"} sends a bot message to a conversation the way Rasa's
output channel does (the shop's payment notices, an agent's reply).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.webchat import WebChatInput


def build() -> Sanic:
    app = Sanic("webchat_test")
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 1  # the tests' long-polls are not waited for
    recorded: list[tuple[str, str]] = []
    channel = WebChatInput.from_credentials({
        "user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True,
        "session_secret": os.environ["WEBCHAT_SESSION_SECRET"],
    })

    async def on_new_message(message: UserMessage) -> None:
        recorded.append((str(message.sender_id), str(message.text)))

    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/socketio")

    @app.get("/recorded")
    async def show(_: Request) -> HTTPResponse:
        return response.json(recorded)

    @app.post("/push")
    async def push(request: Request) -> HTTPResponse:
        body: dict[str, Any] = request.json
        output = channel.get_output_channel()
        assert output is not None
        await output.send_text_message(body["conversation"], body["text"])
        return response.json({"sent": True})

    return app


if __name__ == "__main__":
    build().run("127.0.0.1", int(sys.argv[1]), access_log=False)
