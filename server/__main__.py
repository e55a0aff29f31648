"""`python -m server <rasa arguments>`: the `rasa` command with fast model loading, and a paused
conversation that the shopper can take back from the person (server/pause.py)."""

from __future__ import annotations

from server import fast_load, pause


def main() -> None:
    fast_load.apply()
    pause.apply()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
