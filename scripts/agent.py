"""The care desk in a terminal (`make agent`): a person answers the shoppers the bot handed over.

    make agent                                   the queue of hand-offs; pick one to chat in it
    make agent ARGS="list"                       the queue, once
    make agent ARGS="show <conversation>"        a conversation's transcript
    make agent ARGS="reply <conversation> <text>"
    make agent ARGS="takeover <conversation>"    join a conversation the bot is handling (it pauses)
    make agent ARGS="handback <conversation>"    give it back to the bot (and close its ticket)

The queue is the shop's open `handoff` tickets; conversations, replies and hand-backs go to the
care desk on the Rasa server (channels/desk.py). A conversation is named by Rasa's conversation id
or by the shop's customer id (`socketio:<id>`). URLs and tokens come from the environment or .env,
as for `make run`. Standard library only.
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
        query = urllib.parse.urlencode({"status": "open", "kind": "handoff", "limit": 50})
        return list(self._call("GET", f"{self.shop}/admin/tickets?{query}", self.shop_token)["items"])

    def _conversation_url(self, conversation: str, action: str = "") -> str:
        # A customer id (`socketio:abc`) names the same conversation as its sender id (`abc`).
        sender = conversation.split(":", 1)[1] if ":" in conversation else conversation
        url = f"{self.rasa}/webhooks/desk/conversations/{urllib.parse.quote(sender, safe='')}"
        return f"{url}/{action}" if action else url

    def show(self, conversation: str) -> dict[str, Any]:
        return dict(self._call("GET", self._conversation_url(conversation), self.desk_token))

    def reply(self, conversation: str, text: str, agent: str) -> None:
        self._call("POST", self._conversation_url(conversation, "messages"), self.desk_token,
                   {"text": text, "agent": agent})

    def takeover(self, conversation: str) -> dict[str, Any]:
        return dict(self._call("POST", self._conversation_url(conversation, "takeover"), self.desk_token, {}))

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
        print(f"  [{number}] {ticket['ticket_id']}  {ticket['customer_id']}  {_age(ticket['created_at'])}\n"
              f"       {ticket['subject']}")


def line_text(line: dict[str, Any]) -> str:
    who = {"shopper": "shopper", "bot": "bot", "agent": f"agent {line.get('agent', '')}".strip()}.get(
        line["from"], "·")
    buttons = f"  [{' | '.join(line['buttons'])}]" if line.get("buttons") else ""
    return f"{who:>14}> {line['text']}{buttons}"


# --- the interactive desk ---------------------------------------------------------------


def _key(line: dict[str, Any]) -> tuple[str, str, str]:
    return (str(line.get("time")), line["from"], line["text"])


def chat(desk: Desk, conversation: str, agent: str) -> None:
    """Shows the transcript, then new messages as they come; what the agent types is sent."""
    state = desk.show(conversation)
    if not state["paused"]:
        print("The bot is answering this conversation; taking it over (the shopper is told).")
        state = desk.takeover(conversation)
    seen = {_key(line) for line in state["messages"]}
    for line in state["messages"]:
        print(line_text(line))
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
        if choice.isdigit() and 1 <= int(choice) <= len(tickets):
            choice = tickets[int(choice) - 1]["customer_id"]
        try:
            chat(desk, choice, agent)
        except DeskFailure as failure:
            print(f"Cannot open {choice}: {failure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The care desk: answer the shoppers the bot handed over.")
    parser.add_argument("--as", dest="agent", default="Bottega team", help="the name shoppers see")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list")
    for name in ("show", "takeover", "handback"):
        sub.add_parser(name).add_argument("conversation")
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
        elif args.command == "reply":
            desk.reply(args.conversation, " ".join(args.text), args.agent)
            print("sent")
        else:
            state = getattr(desk, args.command)(args.conversation)
            print(f"{state['conversation_id']} on {state['channel']}: "
                  f"{'paused, with a person' if state['paused'] else 'the bot answers'}")
            for line in state["messages"]:
                print(line_text(line))
    except DeskFailure as failure:
        print(f"agent: {failure}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
