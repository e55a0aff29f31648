"""Logs carry no personal data or link secrets: not the access log of the documented uvicorn command
(`--log-config log_config.json`), not the 500 handler. Customer ids and pay and invoice tokens
are in paths and query strings."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from app.core.db import create_db_engine
from tests.utils.server import shop_process

SHOP_DIR = Path(__file__).resolve().parents[1]


def test_access_and_error_logs_hold_no_customer_ids_or_link_tokens(tmp_path: Path) -> None:
    sender = "shopper-" + secrets.token_hex(6)
    pay_token = secrets.token_urlsafe(24)
    invoice = f"BT-AAAAAAAA.9999999999.{'B' * 43}"
    with shop_process(f"sqlite:///{tmp_path / 'shop.sqlite3'}", "test-" + secrets.token_urlsafe(24),
                      "http://127.0.0.1:9", tmp_path,
                      uvicorn_args=("--log-config", str(SHOP_DIR / "log_config.json"))) as shop:
        headers = {"Authorization": f"Bearer {shop.token}"}
        assert requests.get(f"{shop.url}/pay/{pay_token}", timeout=30).status_code == 404
        assert requests.get(f"{shop.url}/invoices/{invoice}", timeout=30).status_code == 404
        assert requests.get(f"{shop.url}/customers/rest:{sender}/cart", headers=headers, timeout=30).status_code == 200
        assert requests.get(f"{shop.url}/customers/rest:{sender}/orders", params={"since": sender},
                            headers=headers, timeout=30).status_code in (200, 422)
        # A real 500: the table under the route is gone.
        engine = create_db_engine(shop.database_url)
        with engine.connect() as connection:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            connection.execute(text("DROP TABLE customers"))
            connection.commit()
        engine.dispose()
        broken = requests.get(f"{shop.url}/customers/rest:{sender}/cart", headers=headers, timeout=30)
        assert broken.status_code == 500 and broken.json() == {"detail": "Internal server error."}
        log = shop.log.read_text()
    for secret in (sender, pay_token, invoice, "B" * 43):
        assert secret not in log, f"{secret} leaked into the log:\n{log[-3000:]}"
    assert '"GET /pay/… HTTP/1.1" 404' in log and '"GET /customers/…/cart HTTP/1.1" 200' in log
    assert "unhandled error on GET /customers/{customer_id}/cart" in log


@pytest.mark.parametrize(("path", "shown"), [
    ("/pay/abc", "/pay/…"), ("/invoices/BT-X.1.sig", "/invoices/…"),
    ("/customers/rest:alice/cart/items/3", "/customers/…/cart/items/3"), ("/products?q=shoes", "/products?…"),
    ("/orders/BT-7K3MZQ2P?customer_id=rest:alice", "/orders/BT-7K3MZQ2P?…"), ("/health", "/health"),
])
def test_paths_are_redacted(path: str, shown: str) -> None:
    from app.logs import redact_path

    assert redact_path(path) == shown
