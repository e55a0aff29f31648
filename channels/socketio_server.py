"""python-socketio's server for clients that may send anything (channels/webchat.py).

python-socketio 5 and engine.io 4 hand on whatever a client sends, and what they cannot use ends in
an exception:

- a socket.io packet that is not JSON, an event that is not a list led by a string, an event named
  "connect" (it runs the connect handler), an event with more arguments than its handler takes: a
  logged traceback; binary attachments: the client's next packets are taken as attachments;
- a long-polling body that is not UTF-8, holds an empty or unknown engine.io packet, or bad base64:
  a logged traceback and a 200; a request to a session engine.io has just closed: a 500;
- a websocket frame engine.io cannot decode: a traceback, raised outside its own error handling.

`StrictAsyncServer` takes from a client only what the web chat's page sends: CONNECT, DISCONNECT,
and an EVENT naming one of the server's handlers with at most one argument, as text. Anything else
is answered with the channel's error event and logged in one line; a long-polling request engine.io
cannot read gets a 400 (or a 413 when over its size limit), and a websocket that sends such a frame
is closed.
"""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any

import engineio
from engineio import packet as eio_packet
from engineio.async_drivers import sanic as sanic_driver
from engineio.payload import Payload
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer, packet

logger = logging.getLogger(__name__)

# engine.io packets a client sends: OPEN is the server's, PING only probes a websocket upgrade, and
# NOOP only the server sends. Over long-polling, engine.io answers a packet it does not handle by
# closing the session, which waits for a poll that may never come: the POST hangs.
_POLLING_PACKETS = {eio_packet.CLOSE, eio_packet.PONG, eio_packet.MESSAGE, eio_packet.UPGRADE}
_WEBSOCKET_PACKETS = _POLLING_PACKETS | {eio_packet.PING, eio_packet.NOOP}  # ignored there
_UNREADABLE = (ValueError, TypeError, IndexError, KeyError, RecursionError)


class StrictAsyncServer(AsyncServer):  # type: ignore[misc]  # python-socketio has no annotations
    """An `AsyncServer` (async_mode "sanic") that answers a packet it will not dispatch with
    `error_event` carrying `error`, on the client's connection, instead of raising."""

    manager_initialized: bool  # python-socketio's: whether the client manager has been started

    def __init__(self, error_event: str, error: dict[str, str], **kwargs: Any) -> None:
        super().__init__(async_mode="sanic", **kwargs)
        self.error_event, self.error = error_event, error

    def start_manager(self) -> None:
        """Starts the client manager now (python-socketio waits for the first client): a Redis
        manager then listens for the other workers' emits from the start."""
        if not self.manager_initialized:
            self.manager_initialized = True
            self.manager.initialize()

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return StrictEngineIOServer

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            # Text only: the page never sends binary data, and python-socketio would take the
            # client's next packets as its attachments.
            pkt = self.packet_class(encoded_packet=data) if isinstance(data, str) else None
        except _UNREADABLE:  # not JSON, nested too deep, a bad header
            pkt = None
        if pkt is None:
            await self._refuse(eio_sid, None, "not a socket.io packet")
        elif pkt.packet_type == packet.CONNECT:
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
        elif pkt.packet_type == packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)
        elif pkt.packet_type != packet.EVENT:
            await self._refuse(eio_sid, pkt.namespace, f"packet type {pkt.packet_type!r}")
        elif not self._dispatchable(eio_sid, pkt.namespace or "/", pkt.data):
            await self._refuse(eio_sid, pkt.namespace, "an event no handler takes")
        else:
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)

    def _dispatchable(self, eio_sid: str, namespace: str, data: Any) -> bool:
        """`[name]` or `[name, argument]`, for a handler of a namespace the client is connected to."""
        if not (isinstance(data, list) and 1 <= len(data) <= 2 and isinstance(data[0], str)):
            return False
        name = data[0]
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        return (name not in self.reserved_events and name in self.handlers.get(namespace, {})
                and sid is not None and self.manager.is_connected(sid, namespace))

    async def _refuse(self, eio_sid: str, namespace: str | None, why: str) -> None:
        logger.info("socket.io: a client's packet was refused (%s)", why)
        for space in dict.fromkeys((namespace or "/", "/")):
            sid = self.manager.sid_from_eio_sid(eio_sid, space)
            if sid is not None and self.manager.is_connected(sid, space):
                await self.emit(self.error_event, self.error, to=sid, namespace=space, ignore_queue=True)
                return
        # Connected nowhere (its CONNECT could not be read, or never came): a failed connect.
        await self._send_packet(eio_sid, self.packet_class(
            packet.CONNECT_ERROR, data={"message": "Not connected: send a CONNECT packet first."}))


class StrictEngineIOServer(engineio.AsyncServer):  # type: ignore[misc]
    """engine.io's server, answering with a 4xx the requests it would crash on or swallow."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._async: dict[str, Any] = {**self._async, "websocket": CheckedWebSocket}

    async def handle_request(self, request: Request) -> HTTPResponse:
        sid = urllib.parse.parse_qs(request.query_string).get("sid", [""])[0]
        socket = self.sockets.get(sid)
        if socket is not None and socket.closed:
            # engine.io's GET forgets a closed session and answers 400; its POST raised a KeyError.
            del self.sockets[sid]
            return response.json(f"Invalid session {sid}", 400)
        if request.method == "POST":
            body = request.body or b""
            if len(body) > self.max_http_buffer_size:
                return response.json("Payload too large", 413)
            problem = unreadable_payload(body)
            if problem:
                return response.json(f"Bad Request: {problem}", 400)
        return await super().handle_request(request)  # type: ignore[no-any-return]


class CheckedWebSocket(sanic_driver.WebSocket):  # type: ignore[misc]
    """engine.io's websocket on Sanic, closing the connection on a frame engine.io cannot decode."""

    async def wait(self) -> str | bytes:
        data: str | bytes = await super().wait()
        if isinstance(data, str) and _unreadable_packet(data, _WEBSOCKET_PACKETS):
            logger.info("engine.io: a websocket sent a frame that is not an engine.io packet; closed")
            raise OSError("not an engine.io packet")  # engine.io's loop ends the connection on OSError
        return data


def unreadable_payload(body: bytes) -> str | None:
    """Why engine.io cannot read a long-polling POST body, if it cannot: not UTF-8, too many
    packets, an empty, unknown or undecodable packet."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the payload is not UTF-8"
    try:
        packets = Payload(encoded_payload=text).packets
    except _UNREADABLE:
        return "the payload is not engine.io packets"
    if any(pkt.packet_type not in _POLLING_PACKETS for pkt in packets):
        return "a packet type a client does not send"
    return None


def _unreadable_packet(text: str, allowed: set[int]) -> bool:
    try:
        return eio_packet.Packet(encoded_packet=text).packet_type not in allowed
    except _UNREADABLE:
        return True
