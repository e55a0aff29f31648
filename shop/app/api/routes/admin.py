"""Operators' moves: the warehouse ships, the carrier delivers, the returns desk receives and refunds,
the care desk works its ticket queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app import schemas
from app.api.deps import OrderIdPath, ReadDB, SettingsDep, WriteDB
from app.crud import care, catalog, orders
from app.models import TicketKind, TicketStatus

router = APIRouter(prefix="/admin", tags=["operators"])


@router.post("/orders/{order_id}/status", response_model=schemas.OrderPublic)
def set_order_status(order_id: OrderIdPath, update: schemas.StatusUpdate, db: WriteDB,
                     settings: SettingsDep) -> schemas.OrderPublic:
    order = orders.operator_update(db, order_id, update)
    return orders.public(order, settings.public_url, settings.shop_return_window_days)


@router.delete("/products/{sku}", status_code=status.HTTP_204_NO_CONTENT,
               responses={404: {"description": "Unknown or already withdrawn SKU"}})
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
def feedback_summary(db: ReadDB, since: Annotated[datetime | None, Query(
        description="ISO 8601; without a time zone it is read as UTC")] = None) -> schemas.FeedbackSummary:
    """How satisfied shoppers were with each care answer ("did that help?")."""
    return care.feedback_summary(db, since)


@router.post("/tickets/{ticket_id}/close", status_code=status.HTTP_204_NO_CONTENT)
def close_ticket(ticket_id: Annotated[str, Path(max_length=20)], db: WriteDB) -> None:
    care.close_ticket(db, ticket_id)
