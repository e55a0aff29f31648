"""engine.io and socket.io spoken raw, for the web chat's fuzz pass (test_fuzz_webchat.py): a client
that sends anything, over long-polling with requests, to tests/channels/webchat_server.py."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import requests
import socketio

from tests.channels.webchat_server import ANSWER
from tests.processes import LogTail

TIMEOUT = 10.0


@dataclass
class Server:
    """A running tests/channels/webchat_server.py and its log."""

    url: str
    log: LogTail

    def recorded(self) -> list[tuple[str, str]]:
        """(session id, text) of every message passed on; each went to the conversation `socketio:<session id>`."""
        recorded = requests.get(f"{self.url}/recorded", timeout=5).json()
        assert all(sender.startswith("socketio:") for sender, _ in recorded), recorded
        return [(sender.removeprefix("socketio:"), text) for sender, text in recorded]


def sendable(text: str) -> str:
    """Text as it can travel (UTF-8): lone surrogates written as JSON escapes, as JSON.stringify does."""
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)


def wire(value: Any) -> str:
    """JSON as a browser writes it."""
    return sendable(json.dumps(value, ensure_ascii=False, allow_nan=True))


class RawSocket:
    """One engine.io connection over long-polling, spoken with requests: any packet can be sent."""

    def __init__(self, server: Server, auth: Any = None, *, with_auth: bool = False) -> None:
        self.url, self.http = f"{server.url}/socket.io/", requests.Session()
        opened = self.http.get(self.url, params={"EIO": "4", "transport": "polling"}, timeout=TIMEOUT)
        assert opened.status_code == 200 and opened.text.startswith("0"), opened.text
        self.sid = json.loads(opened.text[1:])["sid"]
        self.events: list[tuple[str, Any]] = []
        self.connect_answer: str | None = None
        status = self.post("40" + (wire(auth) if with_auth else ""))
        if status != 200:
            self.connect_answer = f"engine.io answered {status}"
        while self.connect_answer is None:
            self._poll()
        self.connected = self.connect_answer.startswith("0")

    def post(self, payload: str | bytes) -> int:
        answer = self.http.post(self.url, params={"EIO": "4", "transport": "polling", "sid": self.sid},
                                data=sendable(payload).encode() if isinstance(payload, str) else payload,
                                timeout=TIMEOUT)
        assert answer.status_code < 500, answer.text
        return answer.status_code

    def emit(self, *event: Any) -> int:
        return self.post("42" + wire(list(event)))

    def _poll(self) -> None:
        answer = self.http.get(self.url, params={"EIO": "4", "transport": "polling", "sid": self.sid},
                               timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        for eio_packet in answer.text.split("\x1e"):
            if eio_packet == "2":  # the server's ping
                self.post("3")
            elif eio_packet.startswith("42"):
                name, *args = json.loads(eio_packet[2:])
                self.events.append((name, args[0] if args else None))
            elif eio_packet.startswith(("40", "44")):
                self.connect_answer = eio_packet[1:]

    def wait_for(self, *names: str) -> tuple[str, Any]:
        """The first event named one of `names` (events before it are kept)."""
        for _ in range(5):
            for index, (name, _) in enumerate(self.events):
                if name in names:
                    return self.events.pop(index)
            self._poll()
        raise AssertionError(f"no {names} event; got {self.events}")

    def session(self, token: str | None = None) -> dict[str, str]:
        self.emit("session_request", {"session_token": token} if token else {})
        name, confirmed = self.wait_for("session_confirm", "session_error")
        assert name == "session_confirm", confirmed
        return dict(confirmed)

    def still_speaks_in(self, server: Server, conversation: str) -> None:
        """A message now goes to `conversation`, and its answer comes back to this socket."""
        self.emit("user_uttered", {"message": "still here"})
        assert self.wait_for("bot_uttered", "session_error") == ("bot_uttered", {"text": ANSWER})
        assert server.recorded()[-1] == (conversation, "still here")

    def close(self) -> None:
        self.http.post(self.url, params={"EIO": "4", "transport": "polling", "sid": self.sid}, data=b"1", timeout=5)
        self.http.close()


def _decoded(text: str) -> socketio.packet.Packet | None:
    try:
        return socketio.packet.Packet(encoded_packet=text)
    except (ValueError, TypeError, IndexError, KeyError, RecursionError):
        return None


def decodes(text: str) -> bool:
    """Whether python-socketio's own decoder reads the socket.io packet."""
    return _decoded(text) is not None


def dispatchable(text: str) -> bool:
    """Whether python-socketio decodes the packet to an event of the channel's on its namespace,
    `[name]` or `[name, argument]`: what the channel takes."""
    decoded = _decoded(text)
    data = decoded.data if decoded else None
    return (decoded is not None and decoded.packet_type == socketio.packet.EVENT and decoded.namespace in (None, "/")
            and isinstance(data, list) and 1 <= len(data) <= 2 and data[0] in ("session_request", "user_uttered"))
