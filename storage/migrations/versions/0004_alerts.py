"""alerts: a per-subscription watermark so selection does not rescan a subscription's whole history

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 12:10:00

``subscription.checked_until`` is when the subscription's candidates were last examined. The next
selection starts a safety overlap before it (see alerts.selection); digest_entry's unique pair, not
this column, is what guarantees exactly-once, so the overlap costs a little work and nothing else.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_column('checked_until')
