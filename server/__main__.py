"""`python -m server <rasa arguments>`: the `rasa` command with fast model loading."""

from __future__ import annotations

from server import fast_load


def main() -> None:
    fast_load.apply()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
