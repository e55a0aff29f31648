"""Operators' moves: the warehouse ships, the carrier delivers, the returns desk receives and refunds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from app import schemas
from app.api.deps import OrderIdPath, SettingsDep, WriteDB
from app.crud import care, orders

router = APIRouter(prefix="/admin", tags=["operators"])


@router.post("/orders/{order_id}/status", response_model=schemas.OrderPublic)
def set_order_status(order_id: OrderIdPath, update: schemas.StatusUpdate, db: WriteDB,
                     settings: SettingsDep) -> schemas.OrderPublic:
    order = orders.operator_update(db, order_id, update)
    return orders.public(order, settings.public_url, settings.shop_return_window_days)


@router.post("/tickets/{ticket_id}/close", status_code=status.HTTP_204_NO_CONTENT)
def close_ticket(ticket_id: Annotated[str, Path(max_length=20)], db: WriteDB) -> None:
    care.close_ticket(db, ticket_id)
