"""One settings object, read from the environment and `.env`; handed to code through `SettingsDep`."""

from __future__ import annotations

import re
import urllib.parse
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SHOP_DIR = Path(__file__).resolve().parents[2]
REPO_DIR = SHOP_DIR.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        # The repository's .env first, then one beside the service: a deployed shop has only its own.
        env_file=(REPO_DIR / ".env", SHOP_DIR / ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # Required, no default: a shop that answers with an empty token would be open to anyone.
    # The assistant's token opens the shoppers' routes; the operators' token opens /admin (ship,
    # refund, every ticket and all feedback), which the action server never holds.
    shop_api_token: SecretStr = Field(min_length=16)
    shop_admin_token: SecretStr = Field(min_length=16)
    # During a rotation the previous token of each is accepted too (docs/deployment.md).
    shop_api_token_previous: SecretStr | None = Field(default=None, min_length=16)
    shop_admin_token_previous: SecretStr | None = Field(default=None, min_length=16)
    # Signs invoice links (app/links.py); the previous one still opens links it signed.
    shop_link_secret: SecretStr = Field(min_length=32)
    shop_link_secret_previous: SecretStr | None = Field(default=None, min_length=32)
    # How long an invoice link works; asking the chat for the invoice again gives a fresh one.
    shop_invoice_link_days: int = Field(default=7, ge=1, le=365)
    shop_database_url: str = f"sqlite:///{SHOP_DIR / 'var' / 'shop.sqlite3'}"
    shop_host: str = "127.0.0.1"
    shop_port: int = Field(default=8100, ge=1, le=65535)
    # Where shoppers (and Meta's servers) reach the shop's public pages: every product image, pay link
    # and invoice link is built on it. Messenger and WhatsApp need it public and https (docs/channels.md).
    # SHOP_PUBLIC_URL, its former name, is still read.
    public_base_url: str | None = Field(default=None,
                                        validation_alias=AliasChoices("public_base_url", "shop_public_url"))
    shop_currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    shop_return_window_days: int = Field(default=30, ge=0, le=365)
    # Standard delivery is free from this order value (after discounts), in the shop's currency.
    shop_free_shipping_over: Decimal = Field(default=Decimal("50.00"), ge=0, max_digits=12, decimal_places=2)
    # How stale search may be across processes: each process polls for catalog and stock changes this often.
    # How long a shopper has to pay: after that the order is cancelled and its stock goes back on sale.
    shop_unpaid_order_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # How often each shop process looks for orders past their time to pay (0: never; pay still checks).
    shop_expiry_sweep_seconds: float = Field(default=60.0, ge=0, le=3600)
    shop_search_refresh_seconds: float = Field(default=1.0, ge=0.0, le=60.0)
    shop_db_pool_size: int = Field(default=10, ge=1, le=200)
    # Routes anyone can reach (pay page, invoice, images, health): requests a minute per client
    # address, and posts a minute to one pay link. 0 turns a limit off.
    shop_public_requests_per_minute: int = Field(default=300, ge=0, le=1_000_000)
    shop_pay_posts_per_minute: int = Field(default=10, ge=0, le=10_000)

    # The assistant, told when a payment succeeds or fails (Rasa's HTTP API, trigger_intent).
    rasa_url: AnyHttpUrl | None = AnyHttpUrl("http://127.0.0.1:5005")
    rasa_api_token: SecretStr | None = None
    rasa_notify_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    rasa_notify_attempts: int = Field(default=3, ge=1, le=10)
    # Notices waiting for the assistant, one per order at most; beyond this the oldest are dropped.
    rasa_notify_queue_size: int = Field(default=10_000, ge=1, le=1_000_000)

    @field_validator("shop_database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("SHOP_DATABASE_URL must be a sqlite:/// or postgresql:// URL")
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else checked_base_url(value)

    @model_validator(mode="after")
    def _tokens_differ(self) -> Settings:
        api = {t.get_secret_value() for t in (self.shop_api_token, self.shop_api_token_previous) if t}
        admin = {t.get_secret_value() for t in (self.shop_admin_token, self.shop_admin_token_previous) if t}
        if api & admin:
            raise ValueError("SHOP_ADMIN_TOKEN must differ from SHOP_API_TOKEN: the action server must not hold it")
        return self

    def api_tokens(self) -> list[str]:
        """The assistant's tokens accepted now: the current one and, during a rotation, the previous one."""
        return [t.get_secret_value() for t in (self.shop_api_token, self.shop_api_token_previous) if t]

    def admin_tokens(self) -> list[str]:
        """The operators' tokens accepted now."""
        return [t.get_secret_value() for t in (self.shop_admin_token, self.shop_admin_token_previous) if t]

    def link_secrets(self) -> list[str]:
        """The link secret that signs, then the previous one, which only verifies."""
        return [s.get_secret_value() for s in (self.shop_link_secret, self.shop_link_secret_previous) if s]

    @property
    def public_url(self) -> str:
        """PUBLIC_BASE_URL without its trailing slash; the shop's own address when it is unset."""
        if self.public_base_url is not None:
            return self.public_base_url
        return f"http://{self.shop_host}:{self.shop_port}"


_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(rf"^(\[[0-9A-Fa-f:.]+\]|{_LABEL}(\.{_LABEL})*)$")
_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+)*/?$")


def checked_base_url(value: str) -> str:
    """PUBLIC_BASE_URL as links are built on it (no trailing slash), or a ValueError saying what is wrong.

    Only a scheme, a host, an optional port and an optional path prefix: a query, a fragment, a
    password or stray characters would end up inside every pay link the shop sends.
    """
    problem = "must be an http:// or https:// address like https://shop.example.com"
    if value != value.strip() or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError(f"PUBLIC_BASE_URL {problem}, without spaces")
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"PUBLIC_BASE_URL {problem}; got {value!r}")
    if parsed.query or parsed.fragment or "?" in value or "#" in value:
        raise ValueError(f"PUBLIC_BASE_URL {problem}, without a query or a fragment; got {value!r}")
    if "@" in parsed.netloc:
        raise ValueError(f"PUBLIC_BASE_URL {problem}, without a user name or password")
    try:
        port = parsed.port
    except ValueError:
        port = -1
    host = parsed.hostname or ""
    if port == -1 or port == 0 or not _HOST.match(host if ":" not in host else f"[{host}]"):
        raise ValueError(f"PUBLIC_BASE_URL {problem}: {parsed.netloc!r} is not a host[:port]")
    if not _PATH.match(parsed.path):
        raise ValueError(f"PUBLIC_BASE_URL {problem}: the path {parsed.path!r} has characters a link cannot carry")
    return value.rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # values come from the environment
