"""`python -m server.action_server <rasa-sdk arguments>`: rasa-sdk's action server, answering only Rasa.

rasa-sdk's server has no authentication: anyone who reaches its port could post a forged tracker
and run any action (`action_delete_my_data` for any customer). This builds rasa-sdk's own app and
refuses every request but `/health` that lacks `Authorization: Bearer $ACTION_SERVER_TOKEN`, the
header Rasa sends (endpoints.yml, `action_endpoint.headers`): 401 without one, 403 with a wrong one.
During a rotation `ACTION_SERVER_TOKEN_PREVIOUS` is accepted too (docs/deployment.md).
Same arguments as `rasa run actions`.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from server import quiet
from server.api_auth import bearer_matches

TOKEN_ENV = "ACTION_SERVER_TOKEN"  # noqa: S105  # the variable's name, not a token
PREVIOUS_TOKEN_ENV = "ACTION_SERVER_TOKEN_PREVIOUS"  # noqa: S105
MIN_TOKEN_LENGTH = 16
OPEN_PATHS = frozenset({"/health"})  # what a load balancer or `make run` polls; says nothing

logger = logging.getLogger(__name__)


class CountRegistrations(logging.Filter):
    """rasa-sdk logs a line for every action it registers (dozens at start-up): they are counted for one
    line instead, and still shown one by one at debug level (`-vv`)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and record.getMessage().startswith("Registered function for"):
            self.count += 1
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def accepted_tokens(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """The current token and, during a rotation, the previous one; ValueError when unusable."""
    current = environ.get(TOKEN_ENV, "").strip()
    if len(current) < MIN_TOKEN_LENGTH:
        raise ValueError(f"{TOKEN_ENV} must be set to a token of at least {MIN_TOKEN_LENGTH} characters "
                         "(`make run` generates one into .env); Rasa sends it to the action server.")
    previous = environ.get(PREVIOUS_TOKEN_ENV, "").strip()
    return [current, previous] if len(previous) >= MIN_TOKEN_LENGTH else [current]


def protect(app: Any, accepted: list[str]) -> None:
    """Adds the token check to rasa-sdk's Sanic app, before any of its routes."""
    from sanic import response
    from sanic.request import Request
    from sanic.response import HTTPResponse

    @app.on_request
    async def authenticate(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        header = request.headers.get("Authorization")
        if not header:
            return response.json({"error": "unauthorized", "detail": "A valid action server token is required."},
                                 status=401, headers={"WWW-Authenticate": "Bearer"})
        if not bearer_matches(header, accepted):
            logger.warning("action server: a request with a wrong token was refused")
            return response.json({"error": "forbidden", "detail": "This token does not open the action server."},
                                 status=403)
        return None


def main(argv: list[str] | None = None) -> int:
    quiet.apply()  # before rasa-sdk (and sanic-cors) is imported
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_app, create_argument_parser, create_ssl_context
    from rasa_sdk.plugin import plugin_manager

    args = create_argument_parser().parse_args(argv)
    try:
        accepted = accepted_tokens(os.environ)
    except ValueError as error:
        print(f"action server: {error}", file=sys.stderr)
        return 2
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()
    registrations = CountRegistrations()
    logging.getLogger("rasa_sdk.executor").addFilter(registrations)
    # What rasa_sdk.endpoint.run does, with the check added before the app starts.
    app = create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload)
    protect(app, accepted)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = os.environ.get("SANIC_HOST", "0.0.0.0")  # noqa: S104  # rasa-sdk's default; make run sets loopback
    logger.info("Action server (token required) on %s://%s:%s, %d actions registered",
                "https" if ssl_context else "http", host, args.port, registrations.count)
    app.run(host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
