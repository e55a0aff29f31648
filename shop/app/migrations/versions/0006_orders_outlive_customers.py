"""orders.customer_pk nullable, ON DELETE SET NULL: an erased customer's orders stay, anonymised, for accounting

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

FK = 'fk_orders_customer_pk_customers'


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('customer_pk', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(FK, type_='foreignkey')
        batch_op.create_foreign_key(FK, 'customers', ['customer_pk'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    # Orders of erased customers have no customer to go back to: they go too.
    op.execute("DELETE FROM orders WHERE customer_pk IS NULL")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_='foreignkey')
        batch_op.create_foreign_key(FK, 'customers', ['customer_pk'], ['id'], ondelete='CASCADE')
        batch_op.alter_column('customer_pk', existing_type=sa.Integer(), nullable=False)
