"""Bad input found by fuzzing and by hand: each gets a clear 4xx with a `detail`, never a 500 and never a
wrong success."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import Engine

from tests.utils.api import Api
from tests.utils.factories import make_product
from tests.utils.server import ShopProcess


@pytest.fixture
def sku(engine: Engine) -> str:
    return make_product(engine, name="Test Enamel Mug", price="9.50", department="home",
                        variants=[(None, None, 50)])


def _post_raw(shop: ShopProcess, path: str, body: bytes) -> requests.Response:
    return requests.post(shop.url + path, data=body, timeout=30, headers={
        "Authorization": f"Bearer {shop.token}", "Content-Type": "application/json"})


def _ticket_count(api: Api) -> int:
    return int(api.get("/admin/tickets", params={"limit": 1}).json()["total"])


# --- JSON the standard forbids --------------------------------------------------------------------

@pytest.mark.parametrize("value", [b"NaN", b"Infinity", b"-Infinity", b'"\\ud800"', b'"a\\udfffb"'])
@pytest.mark.parametrize(("path", "template"), [
    ("/tickets", b'{"customer_id": "rest:fuzz", "kind": "question", "subject": %s}'),
    ("/tickets", b'{"customer_id": "rest:fuzz", "kind": "question", "subject": "Hello", "body": %s}'),
    ("/customers/rest:fuzz/cart/items", b'{"sku": "EL-0001", "quantity": %s}'),
    ("/feedback", b'{"customer_id": "rest:fuzz", "comment": %s}'),
    ("/orders/BT-AAAAAAAA/returns", b'{"customer_id": "rest:fuzz", "reason": "broken", "extra": [%s]}'),
])
def test_non_standard_json_is_refused(shop: ShopProcess, api: Api, path: str, template: bytes,
                                      value: bytes) -> None:
    before = _ticket_count(api)
    response = _post_raw(shop, path, template % value)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail[0]["loc"][0] == "body"
    assert _ticket_count(api) == before


def test_validation_errors_do_not_echo_the_request(shop: ShopProcess) -> None:
    secret = "Via Segreta 12, Milano"
    response = _post_raw(shop, "/tickets", b'{"customer_id": "rest:fuzz", "kind": "question", "subject": 5, '
                         b'"body": ["' + secret.encode() + b'"]}')
    assert response.status_code == 422
    assert secret not in response.text
    assert all("msg" in error and "loc" in error for error in response.json()["detail"])


# --- the feedback summary's window ---------------------------------------------------------------

@pytest.mark.parametrize("since", ["2024-01-01", "2024-01-01T00:00:00", "9999-12-31T23:59:59-14:00",
                                   "0001-01-01T00:00:00+14:00", "9999-12-31"])
def test_feedback_summary_takes_any_valid_since(api: Api, customer: str, since: str) -> None:
    assert api.post("/feedback", json={"customer_id": customer, "rating": "good",
                                       "topic": "fuzz_since"}).status_code == 201
    response = api.get("/admin/feedback/summary", params={"since": since})
    assert response.status_code == 200, response.text
    topics = {t["topic"]: t for t in response.json()["topics"]}
    if since.startswith("9999"):
        assert topics == {} and response.json()["comments"] == 0
    else:
        assert topics["fuzz_since"]["good"] >= 1


def test_naive_since_is_read_as_utc(api: Api, customer: str) -> None:
    assert api.post("/feedback", json={"customer_id": customer, "rating": "bad",
                                       "topic": "fuzz_naive"}).status_code == 201
    assert "fuzz_naive" not in {t["topic"] for t in api.get(
        "/admin/feedback/summary", params={"since": "2999-01-01"}).json()["topics"]}


# --- NUL and control characters ------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/products/EL-0001%00", "/images/EL%00.svg", "/images/EL%00.png", "/tickets/TK-%00?customer_id=rest:a",
    "/products?q=mug%00", "/products?brand=%00", "/stores?city=Mil%00ano",
    "/admin/tickets/TK-%00AAAA/close",
])
def test_nul_in_a_path_or_query_is_a_4xx(api: Api, path: str) -> None:
    method = "POST" if path.endswith("/close") else "GET"
    response = api.request(method, path)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("body", [
    {"kind": "complaint", "subject": "\u0000"},
    {"kind": "complaint", "subject": "\u0000\u0000\u0000"},
    {"kind": "complaint", "subject": "Broken\u0000mug"},
    {"kind": "complaint", "subject": "Broken mug", "body": "it \u0000 broke"},
    {"kind": "complaint", "subject": "\u0007\u0008\u001b"},
])
def test_tickets_refuse_nul_and_control_characters(api: Api, customer: str, body: dict[str, Any]) -> None:
    before = _ticket_count(api)
    response = api.post("/tickets", json={"customer_id": customer, **body})
    assert response.status_code == 422, response.text
    assert _ticket_count(api) == before


@pytest.mark.parametrize("subject", ["\u0085" + "Broken mug" + "*" * 190, " " * 191 + "Broken mug",
                                     "Broken mug" + "\u2003" * 191])
def test_a_text_longer_than_documented_is_refused_even_if_stripping_would_shorten_it(
        api: Api, customer: str, subject: str) -> None:
    # Schemathesis: 201 characters starting with U+0085 (whitespace to str.strip) were stripped to 200
    # and accepted, though the OpenAPI document says maxLength 200.
    assert len(subject) == 201
    before = _ticket_count(api)
    response = api.post("/tickets", json={"customer_id": customer, "kind": "complaint", "subject": subject})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "string_too_long"
    assert _ticket_count(api) == before
    padded = api.post("/tickets", json={"customer_id": customer, "kind": "complaint", "subject": "  Broken mug  "})
    assert padded.status_code == 201 and padded.json()["subject"] == "Broken mug"  # stripped, as before


@pytest.mark.parametrize("address", ["\u0000" * 5, "\u0000\u0000 \u0000\u0000\u0000", "Via Roma\u0000 1, Milano",
                                     "\u0001\u0002\u0003\u0004\u0005", "....."])
def test_checkout_refuses_an_address_with_no_words(api: Api, customer: str, sku: str, address: str) -> None:
    assert api.add(customer, sku).status_code == 201
    response = api.checkout(customer, "nul-address-01", shipping_address=address)
    assert response.status_code == 422, response.text
    assert api.get(f"/customers/{customer}/orders").json()["total"] == 0


def test_feedback_comment_with_nul_is_refused(api: Api, customer: str) -> None:
    response = api.post("/feedback", json={"customer_id": customer, "comment": "fine\u0000"})
    assert response.status_code == 422


def test_cart_refuses_nul_in_sku_and_choices(api: Api, customer: str, sku: str) -> None:
    assert api.post(f"/customers/{customer}/cart/items", json={"sku": sku + "\u0000"}).status_code in (404, 422)
    assert api.post(f"/customers/{customer}/cart/items", json={"sku": sku, "color": "\u0000"}).status_code == 422
    assert api.get(f"/customers/{customer}/cart").json()["items"] == []


# --- strict types ------------------------------------------------------------------------------

@pytest.mark.parametrize("quantity", ["3", True, 2.0, "2.0", 1.5, None])
def test_quantities_must_be_json_integers(api: Api, customer: str, sku: str, quantity: object) -> None:
    assert api.post(f"/customers/{customer}/cart/items", json={"sku": sku, "quantity": quantity}).status_code == 422
    assert api.add(customer, sku).status_code == 201
    line = api.get(f"/customers/{customer}/cart").json()["items"][0]
    assert api.patch(f"/customers/{customer}/cart/items/{line['line_id']}",
                     json={"quantity": quantity}).status_code == 422
    assert api.get(f"/customers/{customer}/cart").json()["items"][0]["quantity"] == 1


@pytest.mark.parametrize("granted", ["yes", "true", 1, 0, "no", None])
def test_consent_must_be_a_json_boolean(api: Api, customer: str, granted: object) -> None:
    response = api.post(f"/customers/{customer}/consents",
                        json={"channel": "rest", "topic": "offers", "granted": granted})
    assert response.status_code == 422
    assert api.get(f"/customers/{customer}/consents").json()["items"] == []


def test_return_line_fields_must_be_integers(api: Api, customer: str) -> None:
    response = api.post("/orders/BT-AAAAAAAA/returns", json={
        "customer_id": customer, "reason": "broken", "lines": [{"line_id": "1", "quantity": True}]})
    assert response.status_code == 422
    assert {tuple(e["loc"][-2:]) for e in response.json()["detail"]} >= {(0, "line_id"), (0, "quantity")}


# --- search text with no Latin letters ----------------------------------------------------------

@pytest.mark.parametrize("q", ["телефон", "手机", "📱", "🎧🎧", "هاتف", "鞋"])
def test_search_in_other_scripts_is_not_the_whole_catalogue(api: Api, q: str) -> None:
    body = api.get("/products", params={"q": q}).json()
    assert (body["total"], body["items"]) == (0, [])
    assert body["search"]["ignored"]


def test_search_still_finds_latin_words_beside_other_scripts(api: Api) -> None:
    body = api.get("/products", params={"q": "телефон iphone"}).json()
    alone = api.get("/products", params={"q": "iphone"}).json()
    assert body["total"] == alone["total"] > 0 and body["items"] == alone["items"]
    assert body["search"]["ignored"] == ["телефон"]


def test_punctuation_only_search_still_browses(api: Api) -> None:
    assert api.get("/products", params={"q": "show me something"}).json()["total"] > 100


# --- customer ids ------------------------------------------------------------------------------

@pytest.mark.parametrize("customer_id", ["rest:..", "rest:.", "rest:.hidden", "rest:a/b", "rest:", "..:a",
                                         "REST:a", "rest:a b", "rest:%2e%2e"])
def test_unsafe_customer_ids_are_refused(api: Api, customer_id: str) -> None:
    assert api.post("/tickets", json={"customer_id": customer_id, "kind": "question",
                                      "subject": "Hello"}).status_code == 422
    assert api.post("/feedback", json={"customer_id": customer_id, "rating": "good"}).status_code == 422


@pytest.mark.parametrize("path", ["/customers/rest:../cart", "/customers/rest:.%2E/cart",
                                  "/customers/rest:..%2Fx/orders"])
def test_unsafe_customer_ids_in_paths_are_refused(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code in (404, 422), response.text


# --- tickets name only the customer's own orders -------------------------------------------------

def test_ticket_order_must_be_the_customers_own(api: Api, customer: str, sku: str) -> None:
    assert api.add(customer, sku).status_code == 201
    order_id = api.checkout(customer, "ticket-order-01").json()["order_id"]
    stranger = customer + "-stranger"
    before = _ticket_count(api)
    for who, order in ((stranger, order_id), (customer, "BT-ZZZZZZZZ"), (customer, "not an order")):
        response = api.post("/tickets", json={"customer_id": who, "kind": "complaint",
                                              "subject": "Where is it?", "order_id": order})
        assert response.status_code in (404, 422), response.text
        assert response.json()["detail"]
    assert _ticket_count(api) == before
    own = api.post("/tickets", json={"customer_id": customer, "kind": "complaint", "subject": "Where is it?",
                                     "order_id": order_id.lower()})
    assert own.status_code == 201 and own.json()["order_id"] == order_id


# --- the invoice tells the truth about money -----------------------------------------------------

def test_invoice_of_a_cancelled_and_refunded_order_does_not_say_paid(api: Api, customer: str, sku: str) -> None:
    assert api.add(customer, sku).status_code == 201
    order = api.checkout(customer, "invoice-refund-01").json()
    assert requests.post(order["payment_url"], data={"action": "pay"}, timeout=30).status_code == 200
    assert api.post(f"/orders/{order['order_id']}/cancel", json={"customer_id": customer}).status_code == 200
    invoice_url = api.get(f"/orders/{order['order_id']}", params={"customer_id": customer}).json()["invoice_url"]
    page = requests.get(invoice_url, timeout=30).text
    assert "Paid " not in page and "· Paid" not in page
    assert "Refunded" in page and "cancelled" in page


@pytest.mark.parametrize("since", ["0", "1700000000", "yesterday", "2024-13-01"])
def test_feedback_summary_since_must_be_iso_8601(api: Api, since: str) -> None:
    response = api.get("/admin/feedback/summary", params={"since": since})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "since"]


def test_a_json_body_that_is_not_utf8_is_a_422(shop: ShopProcess) -> None:
    response = _post_raw(shop, "/tickets", b'{"customer_id": "rest:a", "kind": "question", "subject": "\xff\xfe"}')
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body"]


def test_the_longest_customer_id_fits_the_database(api: Api) -> None:
    longest = "c" * 32 + ":" + "s" * 127
    assert len(longest) == 160
    assert api.post("/tickets", json={"customer_id": longest, "kind": "question", "subject": "Hi"}).status_code == 201
    too_long = api.post("/tickets", json={"customer_id": longest + "s", "kind": "question", "subject": "Hi"})
    assert too_long.status_code == 422  # a 500 on PostgreSQL when the column (160) was shorter than the API's limit
