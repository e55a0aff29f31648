"""HEAD and OPTIONS for every route, and a 405 that names every allowed method.

FastAPI's routes answer only the methods they declare: HEAD got 405 even on /health, and a 405 or
OPTIONS named only the first route matching the path (GET on /customers/{id}/cart, which also has
DELETE). Here HEAD is a GET without its body, and OPTIONS and 405 list what every route on the path
allows.
"""

from __future__ import annotations

import re

from fastapi.routing import APIRouter, iter_route_contexts
from starlette.responses import JSONResponse, Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class MethodFallbacks:
    def __init__(self, app: ASGIApp, router: APIRouter) -> None:
        self.app = app
        self.router = router
        self._table: list[tuple[re.Pattern[str], set[str]]] | None = None

    def _routes(self) -> list[tuple[re.Pattern[str], set[str]]]:
        # Built on the first request, when every router has been included.
        if self._table is None:
            self._table = [(compile_path(context.path_format)[0], set(context.methods))
                           for context in iter_route_contexts(self.router.routes)
                           if context.path_format and context.methods]
        return self._table

    def _allowed(self, scope: Scope) -> set[str]:
        allowed: set[str] = set()
        for pattern, methods in self._routes():
            if pattern.match(scope["path"]):
                allowed |= methods
        if allowed:
            allowed |= {"OPTIONS"} | ({"HEAD"} if "GET" in allowed else set())
        return allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        allowed = self._allowed(scope)
        if not allowed or (method in allowed and method not in ("HEAD", "OPTIONS")):
            await self.app(scope, receive, send)  # unknown path (404) or a declared method
            return
        allow = {"Allow": ", ".join(sorted(allowed))}
        if method == "OPTIONS":
            await Response(status_code=204, headers=allow)(scope, receive, send)
        elif method == "HEAD" and "HEAD" in allowed:
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))
        else:
            await JSONResponse({"detail": f"Method {method} not allowed here; use {allow['Allow']}."},
                               status_code=405, headers=allow)(scope, receive, send)


def _without_body(send: Send) -> Send:
    """Sends a GET's status and headers (Content-Length included, as HEAD requires), not its body."""

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_head
