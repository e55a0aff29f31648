"""promotions.uses_per_customer and uses_total: promotion limits, WELCOME5 once per customer

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uses_per_customer', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('uses_total', sa.Integer(), nullable=True))
    # The seeded welcome offer has always said "one use per customer"; now it is enforced.
    op.execute("UPDATE promotions SET uses_per_customer = 1 WHERE code = 'WELCOME5'")


def downgrade() -> None:
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_column('uses_total')
        batch_op.drop_column('uses_per_customer')
