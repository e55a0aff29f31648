"""orders.payment_due_at: unpaid orders expire and release their stock

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_due_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_payment_due_at'), ['payment_due_at'], unique=False)
    # Orders already waiting for payment get the default hour from when they were placed: those
    # older than that expire at the shop's first sweep, which is what releases their stock.
    connection = op.get_bind()
    pending = connection.execute(sa.text(
        "SELECT id, created_at FROM orders WHERE status = 'pending_payment'"
    ).columns(id=sa.Integer(), created_at=sa.DateTime())).all()
    for order_pk, created_at in pending:
        connection.execute(sa.text("UPDATE orders SET payment_due_at = :due WHERE id = :pk"),
                           {"due": created_at + timedelta(minutes=60), "pk": order_pk})


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_payment_due_at'))
        batch_op.drop_column('payment_due_at')
