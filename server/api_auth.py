"""Rasa's HTTP API token from the environment, in a header, compared in constant time.

Stock Rasa 3.6 takes the token only on the command line (`--auth-token`, readable by every user
of the machine through `ps`) and only in the URL (`?token=`, kept in access logs, proxies and
browser histories), compared with `==`. `python -m server` instead reads `RASA_API_TOKEN` (and
`RASA_API_TOKEN_PREVIOUS` during a rotation) from the environment and accepts it only as
`Authorization: Bearer <token>`; a `?token=` is refused with a 401 that says where the token goes.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

TOKEN_ENV = "RASA_API_TOKEN"  # noqa: S105  # the variables' names, not tokens
PREVIOUS_TOKEN_ENV = "RASA_API_TOKEN_PREVIOUS"  # noqa: S105
_applied = False


def bearer_matches(header: str | None, accepted: list[str]) -> bool:
    """`Bearer <token>` equal to one of `accepted`, every one compared in constant time."""
    given = header[7:].strip() if header and header[:7].lower() == "bearer " else ""
    # A header that is not UTF-8 arrives with surrogate escapes: compared as its bytes (and
    # refused), never an encoding error, which was a 500 before any check.
    raw = given.encode("utf-8", "surrogateescape")
    matches = [hmac.compare_digest(raw, token.encode()) for token in accepted if token]
    return bool(given) and any(matches)


def with_token_from_environment(argv: list[str]) -> list[str]:
    """`rasa run` arguments with `--auth-token` added from the environment when it is set.

    The token goes into this process's own argument list only, never into the command line the
    process was started with, which is what other users can read.
    """
    token = os.environ.get(TOKEN_ENV, "").strip()
    if len(argv) > 1 and argv[1] == "run" and token and "--auth-token" not in argv:
        return [*argv, "--auth-token", token]
    return argv


def apply() -> None:
    """Replaces `rasa.server.requires_auth` for this process (idempotent; before the app is built)."""
    global _applied
    if _applied:
        return
    import rasa.server
    from rasa.server import ErrorResponse

    original = rasa.server.requires_auth

    def requires_auth(app: Any, token: str | None = None) -> Callable[[Any], Any]:
        def decorator(handler: Any) -> Any:
            stock = original(app, token)(handler)  # Rasa's own check, for JWT

            @wraps(handler)
            async def decorated(request: Any, *args: Any, **kwargs: Any) -> Any:
                if token is not None and "token" in request.args:
                    raise ErrorResponse(HTTPStatus.UNAUTHORIZED, "NotAuthenticated",
                                        "Send the API token in an `Authorization: Bearer <token>` header, never in "
                                        "the URL.")
                accepted = [token or "", os.environ.get(PREVIOUS_TOKEN_ENV, "").strip()]
                if token is not None and bearer_matches(request.headers.get("Authorization"), accepted):
                    result = handler(request, *args, **kwargs)
                    return await result if hasattr(result, "__await__") else result
                return await stock(request, *args, **kwargs)

            return decorated

        return decorator

    rasa.server.requires_auth = requires_auth
    _applied = True
