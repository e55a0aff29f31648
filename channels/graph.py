"""The Graph API client the Messenger and WhatsApp channels send with (channels/meta.py).

Non-blocking (aiohttp, one session per client, opened in the event loop that first sends), with a
timeout on every call. A call is tried again, after a growing pause, only when Meta says it was not
taken (429, 5xx) or no connection could be made. A timeout or a connection cut after the request
went out is not retried: Meta may have delivered the message, and the shopper would get it twice.
The access token goes in the `Authorization` header, never in the URL (URLs end up in logs). Logs
name a shopper only by `redact(id)`: a WhatsApp id is a phone number.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v25.0"
TIMEOUT_SECONDS = 10.0
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5  # then 1 s, 2 s …; a Retry-After up to MAX_BACKOFF_SECONDS is honoured
MAX_BACKOFF_SECONDS = 10.0


class GraphError(Exception):
    """A call the Graph API refused or never answered: `status` (0 when there was no answer) and
    Meta's error code, if it gave one."""

    def __init__(self, status: int, code: int | None, detail: str) -> None:
        super().__init__(f"Graph API {status or 'no answer'} (code {code}): {detail}")
        self.status, self.code = status, code


def redact(shopper_id: str) -> str:
    """A shopper's id as logs may show it: a short hash that tells shoppers apart, never the id."""
    return "#" + hashlib.sha256(shopper_id.encode("utf-8", "surrogateescape")).hexdigest()[:10]


class GraphClient:
    """POSTs JSON to `{graph_url}/{version}/{path}` with a bearer token."""

    def __init__(self, graph_url: str, version: str, access_token: str, *, timeout: float = TIMEOUT_SECONDS,
                 attempts: int = ATTEMPTS, backoff: float = BACKOFF_SECONDS) -> None:
        self.base = f"{graph_url.rstrip('/')}/{version.strip('/')}"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self.timeout, self.attempts, self.backoff = timeout, max(1, attempts), backoff
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout),
                                                  headers=self._headers)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, path: str, body: dict[str, Any], shopper: str, *,
                   attempts: int | None = None) -> dict[str, Any]:
        """Meta's answer to POST `path`; GraphError when it refused or did not answer in time.
        `shopper` is only for the logs (redacted); `attempts` overrides the client's (a courtesy call
        is not worth a retry)."""
        url = f"{self.base}/{path.lstrip('/')}"
        tries = max(1, attempts) if attempts is not None else self.attempts
        for attempt in range(1, tries + 1):
            try:
                async with self._open().post(url, json=body) as answer:
                    status = answer.status
                    data = await _json_of(answer)
                    retry_after = answer.headers.get("Retry-After")
            except asyncio.TimeoutError:
                logger.error("graph: POST %s for %s timed out after %.0f s", path, redact(shopper), self.timeout)
                raise GraphError(0, None, "timed out") from None
            except aiohttp.ClientConnectorError as failure:
                # No connection, so nothing reached Meta: safe to try again.
                status, data, retry_after = 0, {}, None
                logger.warning("graph: POST %s for %s could not connect (%s)", path, redact(shopper),
                               type(failure).__name__)
            except aiohttp.ClientError as failure:
                # Cut off after the request went out: Meta may have taken it, so not again.
                logger.error("graph: POST %s for %s failed (%s)", path, redact(shopper), type(failure).__name__)
                raise GraphError(0, None, type(failure).__name__) from None
            if 200 <= status < 300:
                return data
            found = data.get("error")
            error: dict[str, Any] = found if isinstance(found, dict) else {}
            code = error.get("code") if isinstance(error.get("code"), int) else None
            retryable = status == 0 or status == 429 or status >= 500
            if not retryable or attempt == tries:
                # Meta's message and type say what was wrong; its trace id finds the call in Meta's tools.
                logger.error("graph: POST %s for %s refused: %s code %s (%s) fbtrace_id %s", path, redact(shopper),
                             status or "no answer", code, error.get("type"), error.get("fbtrace_id"))
                raise GraphError(status, code, str(error.get("message") or "no detail"))
            await asyncio.sleep(self._pause(attempt, retry_after))
        raise AssertionError("unreachable")  # the loop returns or raises

    def _pause(self, attempt: int, retry_after: str | None) -> float:
        pause = self.backoff * 2 ** (attempt - 1)
        if retry_after and retry_after.isdigit():
            pause = max(pause, float(retry_after))
        return float(min(pause, MAX_BACKOFF_SECONDS))


async def _json_of(answer: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        data = await answer.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return {}
    return data if isinstance(data, dict) else {}
