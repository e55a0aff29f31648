"""What every request passes before any route sees it: a body limit on the bytes actually read, and
JSON and URLs that the database and the JSON encoder can take.

Pure ASGI middleware rather than Starlette's BaseHTTPMiddleware: it has to read the body itself (a
chunked request has no Content-Length to trust) and hand the same bytes on to the app.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024


class Refused(ValueError):
    """Input no route can take; `where` is the validation-error `loc`."""

    def __init__(self, where: list[str | int], message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def _refuse_constant(name: str) -> Any:
    raise Refused(["body"], f"{name} is not JSON (RFC 8259 has no NaN or Infinity)")


def _check_text(text: str, where: list[str | int]) -> None:
    if "\x00" in text:
        raise Refused(where, "NUL characters are not allowed")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(where, "a lone surrogate escape (\\ud800-\\udfff) is not a character") from None


def _check_value(value: Any, where: list[str | int]) -> None:
    """Walks parsed JSON (depth is bounded by the body limit and json's own recursion limit)."""
    if isinstance(value, str):
        _check_text(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where)
            _check_value(item, [*where, key])
    elif isinstance(value, list):
        for number, item in enumerate(value):
            _check_value(item, [*where, number])


def check_json_body(body: bytes) -> None:
    """Raises Refused for JSON the standard or our storage cannot hold; malformed JSON is left to
    FastAPI, which reports it as it always has."""
    try:
        parsed = json.loads(body, parse_constant=_refuse_constant)
    except Refused:
        raise
    except UnicodeDecodeError:
        raise Refused(["body"], "a JSON body is UTF-8 text") from None
    except (ValueError, RecursionError):
        return
    _check_value(parsed, ["body"])


def _validation_error(error: Refused) -> JSONResponse:
    # The same shape as FastAPI's own 422 (HTTPValidationError), so the OpenAPI document holds.
    return JSONResponse({"detail": [{"type": "value_error", "loc": error.where, "msg": error.message}]},
                        status_code=422)


def _is_json(headers: Headers) -> bool:
    # FastAPI reads a body without a Content-Type as JSON too.
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    return not kind or kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


class RequestGuard:
    """Refuses oversized bodies (413) counting the bytes read, and NUL characters, lone surrogates,
    NaN and Infinity anywhere in the URL or a JSON body (422), before routing or authentication."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        too_large = JSONResponse({"detail": f"Request body over {self.max_body_bytes} bytes."}, status_code=413)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await too_large(scope, receive, send)
            return
        try:
            _check_text(scope["path"], ["path"])
            _check_text(scope.get("query_string", b"").decode("latin-1"), ["query"])
            if b"%00" in scope.get("query_string", b""):
                raise Refused(["query"], "NUL characters are not allowed")
        except Refused as error:
            await _validation_error(error)(scope, receive, send)
            return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and _is_json(headers):
            try:
                check_json_body(body)
            except Refused as error:
                await _validation_error(error)(scope, receive, send)
                return

        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
