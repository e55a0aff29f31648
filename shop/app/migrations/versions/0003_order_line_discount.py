"""order_lines.discount: each line's share of the order's discount, so returns refund what was paid

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

CENT = Decimal("0.01")


def upgrade() -> None:
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount', sa.Numeric(precision=12, scale=2), server_default='0',
                                      nullable=False))
    # Orders placed before this revision: their discount spread over all their lines by value
    # (which lines the promotion covered was not recorded); the cents left over go to the first.
    connection = op.get_bind()
    orders = connection.execute(sa.text("SELECT id, discount FROM orders WHERE discount > 0")).all()
    for order_pk, discount in orders:
        discount = Decimal(str(discount))
        lines = connection.execute(sa.text(
            "SELECT id, line_total FROM order_lines WHERE order_pk = :pk ORDER BY id"), {"pk": order_pk}).all()
        total = sum((Decimal(str(t)) for _, t in lines), Decimal("0"))
        if not lines or total <= 0:
            continue
        shares = [(discount * Decimal(str(t)) / total).quantize(CENT, ROUND_DOWN) for _, t in lines]
        shares[0] += discount - sum(shares)
        for (line_pk, _), share in zip(lines, shares, strict=True):
            connection.execute(sa.text("UPDATE order_lines SET discount = :d WHERE id = :pk"),
                               {"d": share, "pk": line_pk})


def downgrade() -> None:
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('discount')
