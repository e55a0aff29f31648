"""A terminal chat with the running assistant over Rasa's REST channel (`make chat`).

Buttons and quick replies are numbered: type the number to press one. Product cards are listed
with their buttons. Standard library only, so it runs with any Python 3.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any

URL = os.environ.get("RASA_URL", f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}")
WEBHOOK = f"{URL}/webhooks/rest/webhook"


def send(sender: str, message: str) -> list[dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(WEBHOOK, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"[]")  # type: ignore[no-any-return]


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
    sender = sys.argv[1] if len(sys.argv) > 1 else f"shell-{uuid.uuid4().hex[:8]}"
    print(f"Chatting with Bottega at {URL} as rest:{sender}. Type /stop or Ctrl-D to leave.\n")
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
            pressable = show(send(sender, text))
        except (urllib.error.URLError, OSError) as error:
            print(f"(the assistant is not reachable at {URL}: {error}; is `make run` running?)")


if __name__ == "__main__":
    sys.exit(main())
