"""The OpenAPI document says every answer the API gives: the errors each route raises (`errors()` in
its decorator), 401 on every authenticated router and 429 on the public one (given where they are
included), and what the request guard may answer on any route (413, 422), added to the document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app import schemas

_WHY = {
    400: "The request cannot be carried out as asked",
    401: "Missing or wrong bearer token",
    403: "A valid token of the other kind: the assistant's on /admin, the operators' elsewhere",
    404: "Not found (or not this customer's)",
    409: "Conflicts with the current state (sold out, already paid, shipped, ...)",
    410: "The link has expired",
    413: "Request body over the size limit",
    422: "Invalid input",
    429: "Too many requests: wait the Retry-After seconds",
}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}


def _json(why: str, **extra: Any) -> dict[str, Any]:
    # Spelled out rather than `model=`: FastAPI would give it the media type of an HTML route.
    return {"description": why, "content": {"application/json": {"schema": _ERROR_REF}}, **extra}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The domain errors a route raises, as `responses=` for its decorator."""
    return {code: _json(_WHY[code]) for code in codes}


def html_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Errors a public page answers with a page of its own."""
    return {code: {"description": _WHY[code], "content": {"text/html": {"schema": {"type": "string"}}}}
            for code in codes}


# Invalid input (a list of errors, FastAPI's shape) or a domain refusal (variant_required,
# unknown_variant, invalid_promotion, duplicate_return_line) that the caller fixes by asking differently.
DOMAIN_422: dict[int | str, dict[str, Any]] = {422: {
    "description": "Invalid input, or a refusal with a `code` (variant_required, unknown_variant, "
                   "invalid_promotion, duplicate_return_line)",
    "content": {"application/json": {"schema": {"anyOf": [_VALIDATION_REF, _ERROR_REF]}}},
}}


# Given to include_router for the authenticated routers, and to the public router.
NEEDS_TOKEN: dict[int | str, dict[str, Any]] = {401: _json(
    _WHY[401], headers={"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}),
    403: _json(_WHY[403])}
RATE_LIMITED: dict[int | str, dict[str, Any]] = {429: _json(
    _WHY[429], headers={"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}})}


def document_answers(schema: dict[str, Any]) -> None:
    """Adds the answers the request guard may give on any route to the generated document, in place:
    413 for a body over the limit, 422 for NUL characters in a URL or non-standard JSON."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            answers = operation.setdefault("responses", {})
            if "requestBody" in operation:
                answers.setdefault("413", _json(_WHY[413]))
            answers.setdefault("422", {"description": "Validation Error",
                                       "content": {"application/json": {"schema": _VALIDATION_REF}}})
    components.setdefault("ErrorBody", schemas.ErrorBody.model_json_schema(
        ref_template="#/components/schemas/{model}"))
    components.setdefault("HTTPValidationError", {
        "title": "HTTPValidationError", "type": "object",
        "properties": {"detail": {"title": "Detail", "type": "array",
                                  "items": {"$ref": "#/components/schemas/ValidationError"}}}})
    components.setdefault("ValidationError", {
        "title": "ValidationError", "type": "object", "required": ["loc", "msg", "type"],
        "properties": {"loc": {"title": "Location", "type": "array",
                               "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                       "msg": {"title": "Message", "type": "string"},
                       "type": {"title": "Error Type", "type": "string"}}})


class ShopAPI(FastAPI):
    """FastAPI whose generated OpenAPI document also lists the answers `document_answers` adds."""

    def openapi(self) -> dict[str, Any]:
        cached = self.openapi_schema
        schema = super().openapi()
        if schema is not cached:
            document_answers(schema)
        return schema
