"""Product pictures as PNG (Messenger and WhatsApp show no SVG), and PUBLIC_BASE_URL, on which every
picture, pay and invoice link is built."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from PIL import Image
from pydantic import SecretStr, ValidationError

from app.core.config import Settings
from app.images import SIZE, placeholder_png
from tests.utils.api import Api
from tests.utils.server import SHOP_DIR, RasaRecorder, ShopProcess, shop_process

PUBLIC_BASE = "https://shop.example.com/bottega"  # a path prefix, as behind a proxy that shares a host
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ELECTRONICS_DARK = (0x1F, 0x3B, 0x57)  # app/images.py's palette


@pytest.fixture(scope="module")
def public_shop(database_url: str, recorder: RasaRecorder,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopProcess]:
    with shop_process(database_url, "test-" + secrets.token_urlsafe(24), recorder.url,
                      tmp_path_factory.mktemp("public"), extra_env={"PUBLIC_BASE_URL": PUBLIC_BASE + "/"}) as process:
        yield process


@pytest.fixture
def public_api(public_shop: ShopProcess) -> Iterator[Api]:
    with Api(public_shop.url, public_shop.token) as api:
        yield api


def _png(response: requests.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_every_product_has_a_png_picture_in_its_departments_colours(shop: ShopProcess) -> None:
    image = _png(requests.get(f"{shop.url}/images/EL-0001.png", timeout=30))
    assert image.format == "PNG" and image.size == (SIZE, SIZE) and image.mode == "RGB"
    assert image.getpixel((2, 2)) == ELECTRONICS_DARK  # the same background as the SVG's
    colours = {colour for _, colour in image.getcolors(maxcolors=SIZE * SIZE) or []}
    assert (255, 255, 255) in colours  # the name is written on it
    svg = requests.get(f"{shop.url}/images/EL-0001.svg", timeout=30)
    assert svg.headers["content-type"].startswith("image/svg+xml") and "#1f3b57" in svg.text


def test_a_picture_is_drawn_once_and_revalidated_by_its_etag(shop: ShopProcess) -> None:
    first = requests.get(f"{shop.url}/images/EL-0002.png", timeout=30)
    again = requests.get(f"{shop.url}/images/el-0002.png", timeout=30)  # SKUs are case-insensitive
    _png(first)
    assert first.content == again.content and first.headers["ETag"] == again.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=86400"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    unchanged = requests.get(f"{shop.url}/images/EL-0002.png", headers={"If-None-Match": first.headers["ETag"]},
                             timeout=30)
    assert unchanged.status_code == 304 and unchanged.content == b""
    stale = requests.get(f"{shop.url}/images/EL-0002.png", headers={"If-None-Match": '"stale"'}, timeout=30)
    assert stale.status_code == 200 and stale.content == first.content


def test_the_rendition_is_cached_in_the_process() -> None:
    placeholder_png.cache_clear()
    drawn = placeholder_png("Wireless Earbuds Pro", "electronics", "EL-0099")
    assert placeholder_png("Wireless Earbuds Pro", "electronics", "EL-0099") is drawn
    assert placeholder_png.cache_info().hits == 1 and placeholder_png.cache_info().misses == 1
    renamed = placeholder_png("Wireless Earbuds Max", "electronics", "EL-0099")
    assert renamed != drawn  # keyed by what is drawn: a renamed product is drawn anew


def test_long_names_and_unknown_departments_still_make_a_picture() -> None:
    for name, department in (("Supercalifragilisticexpialidociousheadphones", "electronics"),
                             ("A very long product name that goes on and on well past three lines of text", "x"),
                             ("<script>ü ñ 漢字</script>", "pets")):
        image = Image.open(io.BytesIO(placeholder_png(name, department, "ZZ-0001")))
        assert image.size == (SIZE, SIZE)


@pytest.mark.parametrize(("path", "status"), [
    ("/images/NOPE-0000.png", 404), ("/images/EL-0001.gif", 404), ("/images/EL-0001.png.png", 404),
    ("/images/" + "A" * 41 + ".png", 422), ("/images/%2e%2e%2fhealth.png", 404), ("/images/.png", 404),
])
def test_unknown_or_bad_picture_paths_are_4xx(shop: ShopProcess, path: str, status: int) -> None:
    response = requests.get(shop.url + path, timeout=30)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


def test_links_are_built_on_public_base_url(public_api: Api, public_shop: ShopProcess) -> None:
    found = public_api.get("/products", params={"q": "trainers", "limit": 3}).json()["items"]
    for item in found:
        assert item["image_url"] == f"{PUBLIC_BASE}/images/{item['sku']}.png"
    sku = next(item["sku"] for item in public_api.get("/products", params={"limit": 50}).json()["items"]
               if item["in_stock"])
    detail = public_api.get(f"/products/{sku}").json()
    assert detail["image_url"] == f"{PUBLIC_BASE}/images/{sku}.png"
    variant = next(v for v in detail["variants"] if v["stock"] > 0)
    customer = f"rest:public-{secrets.token_hex(6)}"
    choice = {key: variant[key] for key in ("size", "color") if variant[key]}
    assert public_api.add(customer, sku, **choice).status_code == 201
    cart = public_api.get(f"/customers/{customer}/cart").json()
    assert cart["items"][0]["image_url"] == f"{PUBLIC_BASE}/images/{sku}.png"
    placed = public_api.checkout(customer, secrets.token_hex(8))
    assert placed.status_code == 201, placed.text
    pay = placed.json()["payment_url"]
    assert pay.startswith(f"{PUBLIC_BASE}/pay/")
    order = public_api.get(f"/orders/{placed.json()['order_id']}", params={"customer_id": customer}).json()
    assert order["payment_url"] == pay and order["invoice_url"].startswith(f"{PUBLIC_BASE}/invoices/")
    # The public host proxies to this shop: the link's path opens the pay page here.
    page = requests.get(public_shop.url + pay.removeprefix(PUBLIC_BASE), timeout=30)
    assert page.status_code == 200 and "Pay " in page.text


@pytest.mark.parametrize(("value", "expected"), [
    ("https://shop.example.com", "https://shop.example.com"),
    ("https://shop.example.com/", "https://shop.example.com"),
    ("http://127.0.0.1:8100", "http://127.0.0.1:8100"),
    ("https://example.com/shop/", "https://example.com/shop"),
    ("http://[::1]:8100", "http://[::1]:8100"),
])
def test_public_base_url_accepts_http_and_https_addresses(value: str, expected: str) -> None:
    settings = _settings(public_base_url=value)
    assert settings.public_url == expected


@pytest.mark.parametrize("value", [
    "ftp://shop.example.com", "shop.example.com", "https://", "javascript:alert(1)",
    "https://shop.example.com?x=1", "https://shop.example.com/#top", "https://user:pw@shop.example.com",
    "https://shop.example.com junk", " https://shop.example.com", "https://shop.example.com/\n",
    "https://shop.example.com:99999", "https://shop.example.com:0", "https://shop_example.com",
    "https://shop.example.com/a b", "https://shop.example.com/<x>", "https://shop.example.com,https://x.com",
])
def test_public_base_url_refuses_anything_else_with_a_clear_error(value: str) -> None:
    with pytest.raises(ValidationError, match="PUBLIC_BASE_URL must be an http:// or https:// address"):
        _settings(public_base_url=value)


def test_unset_public_base_url_is_the_shops_own_address() -> None:
    assert _settings(public_base_url=None).public_url == "http://127.0.0.1:8100"
    assert _settings(public_base_url="").public_url == "http://127.0.0.1:8100"


def test_the_former_shop_public_url_is_still_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("SHOP_PUBLIC_URL", "https://old.example.com/")
    assert _settings().public_url == "https://old.example.com"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://new.example.com")
    assert _settings().public_url == "https://new.example.com"


def test_the_shop_does_not_start_on_an_invalid_public_base_url(tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {**os.environ, "PUBLIC_BASE_URL": "https://shop.example.com/pay?x=1", "SHOP_API_TOKEN": "t" * 32,
           "SHOP_ADMIN_TOKEN": "a" * 32, "SHOP_LINK_SECRET": "s" * 32,
           "SHOP_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('bad') / 'shop.sqlite3'}"}
    started = subprocess.run([sys.executable, "-m", "app.cli", "serve"], cwd=SHOP_DIR, env=env,
                             capture_output=True, text=True, timeout=60)
    assert started.returncode == 2
    assert "shop: configuration error" in started.stderr
    assert "PUBLIC_BASE_URL must be an http:// or https:// address" in started.stderr
    assert "Traceback" not in started.stderr


def _settings(**values: object) -> Settings:
    return Settings(shop_api_token=SecretStr("t" * 32), shop_admin_token=SecretStr("a" * 32),  # type: ignore[arg-type]
                    shop_link_secret=SecretStr("s" * 32), shop_host="127.0.0.1", shop_port=8100, **values)
