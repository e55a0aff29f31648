"""Operators' moves: the warehouse ships, the carrier delivers, the returns desk receives and refunds,
the care desk works its ticket queue."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import BeforeValidator

from app import schemas
from app.api.deps import OrderIdPath, ReadDB, SettingsDep, WriteDB
from app.api.openapi import errors
from app.crud import care, catalog, orders
from app.models import TicketKind, TicketStatus

router = APIRouter(prefix="/admin", tags=["operators"])


def _iso_only(value: object) -> object:
    # Pydantic would also read '0' or '1700000000' as a Unix time: the document promises ISO 8601.
    if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        raise ValueError("an ISO 8601 date or date-time, e.g. 2024-05-01T00:00:00Z")
    return value


@router.post("/orders/{order_id}/status", response_model=schemas.OrderPublic, responses=errors(404, 409))
def set_order_status(order_id: OrderIdPath, update: schemas.StatusUpdate, db: WriteDB,
                     settings: SettingsDep) -> schemas.OrderPublic:
    order = orders.operator_update(db, order_id, update)
    return orders.public(order, settings)


@router.delete("/products/{sku}", status_code=status.HTTP_204_NO_CONTENT,
               responses=errors(404))  # unknown or already withdrawn
def withdraw_product(sku: Annotated[str, Path(max_length=40)], db: WriteDB) -> None:
    """Stop selling a product. Carts that hold it keep the line; checkout refuses it."""
    catalog.withdraw(db, sku)


@router.get("/tickets", response_model=schemas.TicketsPublic)
def list_tickets(db: ReadDB, status_: Annotated[TicketStatus | None, Query(alias="status")] = None,
                 kind: TicketKind | None = None,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50) -> schemas.TicketsPublic:
    """The care desk's queue (e.g. `?status=open&kind=handoff`), oldest first."""
    return care.list_tickets(db, status_, kind, limit)


@router.get("/feedback/summary", response_model=schemas.FeedbackSummary)
def feedback_summary(db: ReadDB, since: Annotated[datetime | None, BeforeValidator(_iso_only), Query(
        description="ISO 8601; without a time zone it is read as UTC")] = None) -> schemas.FeedbackSummary:
    """How satisfied shoppers were with each care answer ("did that help?")."""
    return care.feedback_summary(db, since)


@router.post("/tickets/{ticket_id}/close", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def close_ticket(ticket_id: Annotated[str, Path(max_length=20)], db: WriteDB) -> None:
    care.close_ticket(db, ticket_id)
