"""The expiry sweep: orders not paid in time are cancelled and their stock goes back on sale.

Each shop process runs it every SHOP_EXPIRY_SWEEP_SECONDS, off the event loop. Several processes
(uvicorn workers) may sweep at once: each order is expired under its row lock, after checking
again that it is still unpaid and overdue, so none is expired twice. The pay page checks the
deadline itself too, so an overdue order can never be paid between two sweeps.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import Session, sessionmaker

from app.crud import orders

logger = logging.getLogger(__name__)
BATCH = 200


def sweep(read: sessionmaker[Session], write: sessionmaker[Session]) -> int:
    """Expires every overdue order (up to BATCH a call); returns how many."""
    with read() as session:
        overdue = orders.overdue_orders(session, BATCH)
    expired = 0
    for order_pk in overdue:  # one short transaction each: a busy shop waits on no long sweep
        with write() as session:
            expired += orders.expire_if_overdue(session, order_pk)
    return expired


async def sweep_periodically(read: sessionmaker[Session], write: sessionmaker[Session],
                             every_seconds: float) -> None:
    """Sweeps until cancelled (at shutdown); a failed sweep is logged and tried again next time."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            expired = await asyncio.to_thread(sweep, read, write)
        except Exception:
            logger.exception("expiry sweep failed")
            continue
        if expired:
            logger.info("expiry sweep: %d unpaid order(s) cancelled, their stock released", expired)
