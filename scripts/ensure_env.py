"""Creates or completes `.env` with the secrets a local stack needs, generated on first run.

Values already in the environment or in .env are never overwritten; nothing secret is printed.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

GENERATED = {
    "SHOP_API_TOKEN": "bearer token the assistant's actions use to call the shop service",
    "SHOP_ADMIN_TOKEN": "bearer token of the shop's /admin routes (operators, make agent); never the assistant's",
    "SHOP_LINK_SECRET": "key that signs the shop's invoice links (they expire and never open the pay page)",
    "RASA_API_TOKEN": "token for Rasa's HTTP API (the shop uses it to report payments)",
    "DESK_API_TOKEN": "token of the care desk on Rasa (agents' replies and hand-back, history erasure)",
    "WEBCHAT_SESSION_SECRET": "key that signs the web chat's session tokens (a shopper's only credential)",
    "ACTION_SERVER_TOKEN": "token Rasa sends to the action server, which answers nobody else",
    "REST_CHANNEL_TOKEN": "token of Rasa's REST channel (make chat, the transcript tests); never a shopper's",
}


def read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip().strip("'\"")
    return values


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    present = read_env(path)
    missing = [k for k in GENERATED if k not in present and not os.environ.get(k)]
    if not missing:
        return 0
    with path.open("a") as env:
        if path.stat().st_size == 0:
            env.write("# Local settings for Bottega (never committed). See docs/configuration.md.\n")
        for key in missing:
            env.write(f"# {GENERATED[key]} (generated)\n{key}={secrets.token_urlsafe(32)}\n")
    path.chmod(0o600)
    print(f"setup: generated {', '.join(missing)} into {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
