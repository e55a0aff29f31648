"""Sets up the Facebook page's Messenger profile: Get Started, the welcome text, the persistent menu
and the ice breakers (`make messenger-profile`; docs/channels.md).

    make messenger-profile ARGS="--dry-run"           print the Graph API calls, send nothing (no token needed)
    make messenger-profile                            send them (MESSENGER_PAGE_ACCESS_TOKEN)
    make messenger-profile ARGS="--no-ice-breakers"   the same without ice breakers, and removes any set before

Every button sends a Rasa payload (`/intent`), so a tap needs no NLU. Get Started sends `/greet`:
opened from an m.me/<page>?ref=<campaign> link, an ad or a QR code, its postback carries the
referral, which the channel hands on as metadata and the greeting turns into that campaign
(actions/greeting.py). Meta shows ice breakers *instead of* the Get Started button on a new thread
when both are set (its precedence: ice breakers, Get Started, the inbox's own questions); a
referral then comes with the shopper's first tap or message as a `referral` event, which greets
the same way. `--no-ice-breakers` keeps Get Started on the welcome screen.

POST (and, with --no-ice-breakers, DELETE) {META_GRAPH_URL}/{META_GRAPH_VERSION}/me/messenger_profile,
the page token in an `Authorization` header, never in the URL or the output. URLs and tokens come
from the environment or .env, as for `make run`. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

from run_stack import META_DEFAULTS, load_env

TIMEOUT_SECONDS = 30
MAX_MENU_ITEMS = 20  # persistent menu buttons since Graph API v8 (no nesting)
MAX_MENU_TITLE = 30
MAX_ICE_BREAKERS = 4
MAX_GREETING = 160

GET_STARTED = "/greet"
# The welcome screen; Meta fills {{user_first_name}}.
GREETING_TEXT = ("Hi {{user_first_name}}! I'm Bottega's shop assistant: find products, fill your cart and follow "
                 "your orders right here.")
MENU = [  # (title, payload)
    ("Browse departments", "/browse_catalog"),
    ("My cart", "/view_cart"),
    ("My orders", "/order_status"),
    ("Offers and promo codes", "/promotions"),
    ("Find a store", "/store_locator"),
    ("Talk to a person", "/human_handoff"),
]
ICE_BREAKERS = [  # (question, payload)
    ("What's on offer right now?", "/promotions"),
    ("Where is my order?", "/order_status"),
    ("Show me the departments", "/browse_catalog"),
    ("Can I talk to a person?", "/human_handoff"),
]


class ProfileFailure(Exception):
    """A call the Graph API refused or never answered, with what it said."""


def profile(ice_breakers: bool = True) -> dict[str, Any]:
    """The messenger_profile body: Get Started, the welcome text, the menu and (optionally) ice breakers."""
    body: dict[str, Any] = {
        "get_started": {"payload": GET_STARTED},
        "greeting": [{"locale": "default", "text": GREETING_TEXT}],
        "persistent_menu": [{"locale": "default", "composer_input_disabled": False, "call_to_actions": [
            {"type": "postback", "title": title, "payload": payload} for title, payload in MENU]}],
    }
    if ice_breakers:
        body["ice_breakers"] = [{"locale": "default", "call_to_actions": [
            {"question": question, "payload": payload} for question, payload in ICE_BREAKERS]}]
    return body


def calls(ice_breakers: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """(method, body) of each call to me/messenger_profile, in order."""
    found: list[tuple[str, dict[str, Any]]] = [("POST", profile(ice_breakers))]
    if not ice_breakers:
        found.append(("DELETE", {"fields": ["ice_breakers"]}))  # set by an earlier run, they would hide Get Started
    return found


def endpoint(env: dict[str, str]) -> str:
    graph = (env.get("META_GRAPH_URL") or META_DEFAULTS["META_GRAPH_URL"]).rstrip("/")
    version = (env.get("META_GRAPH_VERSION") or META_DEFAULTS["META_GRAPH_VERSION"]).strip("/")
    return f"{graph}/{version}/me/messenger_profile"


def send(url: str, token: str, method: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            raw = answer.read()
    except urllib.error.HTTPError as error:
        try:
            found = json.loads(error.read()).get("error") or {}
        except (ValueError, AttributeError):
            found = {}
        detail = found.get("message") if isinstance(found, dict) else None
        code = found.get("code") if isinstance(found, dict) else None
        raise ProfileFailure(f"{method} refused: HTTP {error.code}, code {code}: {detail or error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        raise ProfileFailure(f"cannot reach {url.split('/me/')[0]}: {error}") from None
    data = json.loads(raw) if raw else {}
    return data if isinstance(data, dict) else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Set up the page's Messenger profile (docs/channels.md).")
    parser.add_argument("--dry-run", action="store_true", help="print the calls, send nothing")
    parser.add_argument("--no-ice-breakers", action="store_true",
                        help="leave ice breakers out (and remove any set before): Get Started shows instead")
    args = parser.parse_args(argv)
    env = load_env()
    url = endpoint(env)
    planned = calls(ice_breakers=not args.no_ice_breakers)
    if args.dry_run:
        for method, body in planned:
            print(f"{method} {url}\nAuthorization: Bearer <MESSENGER_PAGE_ACCESS_TOKEN>")
            print(json.dumps(body, indent=2), end="\n\n")
        return 0
    token = env.get("MESSENGER_PAGE_ACCESS_TOKEN", "").strip()
    if not token:
        print("messenger-profile: MESSENGER_PAGE_ACCESS_TOKEN is not set (in .env or the environment); "
              "--dry-run shows the calls without it", file=sys.stderr)
        return 2
    try:
        for method, body in planned:
            answer = send(url, token, method, body)
            print(f"{method} me/messenger_profile: {answer.get('result', 'done')}")
    except ProfileFailure as failure:
        print(f"messenger-profile: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
