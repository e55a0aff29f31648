"""`python -m server <rasa arguments>`: the `rasa` command with fast model loading, two per-turn
costs of stock Rasa removed (server/hot_path.py), a paused conversation that the shopper can take
back from the person (server/pause.py), reminders kept in the tracker store's database for every
worker (server/reminders.py), and the HTTP API's token from the environment, in a header
(server/api_auth.py)."""

from __future__ import annotations

import sys

from server import api_auth, fast_load, hot_path, pause, reminders


def main() -> None:
    fast_load.apply()
    hot_path.apply()
    pause.apply()
    reminders.apply()
    api_auth.apply()
    sys.argv = api_auth.with_token_from_environment(sys.argv)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
