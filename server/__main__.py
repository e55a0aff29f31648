"""`python -m server <rasa arguments>`: the `rasa` command with fast model loading (server/fast_load.py,
server/crf_cache.py), the per-turn costs of stock Rasa removed (server/hot_path.py), a paused
conversation that the shopper can take back from the person (server/pause.py), reminders kept in the
tracker store's database for every worker (server/reminders.py), the HTTP API's token from the
environment, in a header (server/api_auth.py), and without third-party start-up notices nobody can
act on (server/quiet.py)."""

from __future__ import annotations

import sys

from server import quiet


def main() -> None:
    quiet.quiet_tensorflow()  # before TensorFlow is imported
    from server import api_auth, crf_cache, fast_load, hot_path, pause, reminders

    fast_load.apply()  # imports TensorFlow
    quiet.apply()  # after TensorFlow, before Rasa's server (quiet.apply says why)
    crf_cache.apply()
    try:
        hot_path.apply()
    except ValueError as error:  # BOTTEGA_HOT_PATH_OFF names something that is not there
        sys.exit(f"server: {error}")
    pause.apply()
    reminders.apply()
    api_auth.apply()
    sys.argv = api_auth.with_token_from_environment(sys.argv)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
