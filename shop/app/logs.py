"""Log records without personal data: paths lose their customer ids, link tokens and query strings.

Customer ids (`/customers/messenger:123/…`), pay and invoice tokens (`/pay/<token>`) and search
words or customer ids in query strings would otherwise reach every access log line. uvicorn's
access log is filtered through `RedactPaths` (`log_config.json`, `python -m app.cli serve`), and
the 500 handler logs the route's template, never the path it was called with.
"""

from __future__ import annotations

import logging
import re

# A segment after one of these is a secret or a person: it is shown as "…".
_PRIVATE_SEGMENT = re.compile(r"^(/(?:pay|invoices|customers)/)[^/?]*")


def redact_path(path: str) -> str:
    """The path with private segments replaced by "…" and any query string by "?…"."""
    path, question, _ = path.partition("?")
    return _PRIVATE_SEGMENT.sub(r"\1…", path) + ("?…" if question else "")


class RedactPaths(logging.Filter):
    """For uvicorn.access records: args are (client address, method, path, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            # The client's address is personal data too; a proxy in front logs it if it must.
            record.args = ("-", args[1], redact_path(args[2]), args[3], args[4])
        return True


# uvicorn's default logging with the filter on the access log; log_config.json says the same for
# the `uvicorn … --log-config log_config.json` command in docs/deployment.md.
LOGGING_CONFIG: dict[str, object] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_paths": {"()": "app.logs.RedactPaths"}},
    "formatters": {
        "default": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"},
        "access": {"()": "uvicorn.logging.AccessFormatter",
                   "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'},
    },
    "handlers": {
        "default": {"formatter": "default", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                   "filters": ["redact_paths"]},
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "app": {"handlers": ["default"], "level": "INFO", "propagate": False},
    },
}
