"""A Sanic server with only the REST channel, for tests/channels/test_rest_channel.py.

`python -m tests.channels.rest_server <port>` with REST_CHANNEL_TOKEN (and optionally
REST_CHANNEL_TOKEN_PREVIOUS) set. Instead of Rasa's dialogue, the bot echoes each message; a
message "break the bot" makes it fail the way a crashed dialogue would. GET /recorded lists
(sender id, text, input channel, metadata) of every message the channel passed on. Logging is at
DEBUG, so the test sees every line the channel could ever write.
"""

from __future__ import annotations

import logging
import os
import sys

from rasa.core.channels.channel import UserMessage
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.rest import AuthenticatedRestInput

BREAK = "break the bot"


def build() -> Sanic:
    app = Sanic("rest_test")
    recorded: list[tuple[str, str, str, object]] = []
    channel = AuthenticatedRestInput.from_credentials({"token": os.environ["REST_CHANNEL_TOKEN"]})

    async def on_new_message(message: UserMessage) -> None:
        recorded.append((str(message.sender_id), str(message.text), str(message.input_channel), message.metadata))
        await message.output_channel.send_text_message(str(message.sender_id), f"echo: {message.text}")
        if message.text == BREAK:
            raise RuntimeError("the dialogue failed")

    app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.name()}")

    @app.get("/recorded")
    async def show(_: Request) -> HTTPResponse:
        return response.json(recorded)

    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
    build().run("127.0.0.1", int(sys.argv[1]), access_log=False)
