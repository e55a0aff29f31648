"""A terminal chat with the running assistant over Rasa's REST channel (`make chat`).

Buttons and quick replies are numbered: type the number to press one. Product cards are listed
with their buttons. The REST channel answers only its token (channels/rest.py): REST_CHANNEL_TOKEN
and RASA_URL come from the environment or .env, as for `make run`. Standard library only, so it
runs with any Python 3.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any

from run_stack import load_env


class Refused(Exception):
    """The REST channel said no (a wrong token, an unusable message), with what it said."""


def send(url: str, token: str, sender: str, message: str) -> list[dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"[]")  # type: ignore[no-any-return]
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read()).get("detail")
        except (ValueError, AttributeError):
            detail = None
        raise Refused(f"{error.code}: {detail or error.reason}") from None


def show(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Prints the bot's messages; returns the buttons that can be pressed by number."""
    pressable: list[dict[str, str]] = []

    def button(b: dict[str, str]) -> str:
        pressable.append(b)
        return f"[{len(pressable)}] {b.get('title', '')}"

    for message in messages:
        if message.get("text"):
            print(f"bottega> {message['text']}")
        if message.get("image"):
            print(f"bottega> (image) {message['image']}")
        custom = message.get("custom") or {}
        for card in custom.get("cards", []) if isinstance(custom, dict) else []:
            print(f"   * {card.get('title')} — {card.get('subtitle', '')}")
            buttons = card.get("buttons") or []
            if buttons:
                print("     " + "  ".join(button(b) for b in buttons))
        for b in message.get("buttons") or []:
            print("   " + button(b))
        for b in message.get("quick_replies") or []:
            print("   " + button(b))
    return pressable


def main() -> int:
    env = load_env()
    url, token = env["RASA_URL"].rstrip("/"), env.get("REST_CHANNEL_TOKEN", "")
    if not token:
        print("REST_CHANNEL_TOKEN is not set: run `make setup` once (it writes .env) or export it")
        return 2
    sender = sys.argv[1] if len(sys.argv) > 1 else f"shell-{uuid.uuid4().hex[:8]}"
    print(f"Chatting with Bottega at {url} as rest:{sender}. Type /stop or Ctrl-D to leave.\n")
    pressable: list[dict[str, str]] = []
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not text:
            continue
        if text == "/stop":
            return 0
        if text.isdigit() and 1 <= int(text) <= len(pressable):
            chosen = pressable[int(text) - 1]
            text = chosen.get("payload") or chosen.get("title", "")
        try:
            pressable = show(send(url, token, sender, text))
        except Refused as refused:
            print(f"(the assistant refused the message: {refused})")
        except (urllib.error.URLError, OSError) as error:
            print(f"(the assistant is not reachable at {url}: {error}; is `make run` running?)")


if __name__ == "__main__":
    sys.exit(main())
