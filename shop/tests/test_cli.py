"""What `python -m app.cli prepare` prints: alembic's upgrades, without the two lines it logs on every
run (dialect, DDL mode), so a second `make run` does not repeat them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SHOP_DIR = Path(__file__).resolve().parents[1]


def _prepare(database: Path) -> str:
    env = {**os.environ, "SHOP_API_TOKEN": "t" * 32, "SHOP_ADMIN_TOKEN": "a" * 32, "SHOP_LINK_SECRET": "s" * 32,
           "SHOP_DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run([sys.executable, "-m", "app.cli", "prepare"], cwd=SHOP_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_prepare_shows_upgrades_but_not_alembics_preamble(tmp_path: Path) -> None:
    first = _prepare(tmp_path / "shop.sqlite3")
    assert "Running upgrade  -> 0001" in first
    assert "shop: seeding the catalogue" in first
    second = _prepare(tmp_path / "shop.sqlite3")
    assert "Running upgrade" not in second
    for output in (first, second):
        assert "shop: migrating" in output
        assert "Context impl" not in output
        assert "Will assume" not in output
