"""crawl_run.refused_urls: URLs the crawler's guard would not fetch in that run

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:50:00

A hostile page can point a redirect or a link at another host or inside our network
(crawler/netguard.py refuses it). How often that happened is part of a run's record, next to its
errors, so an operator sees a source that keeps trying.
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refused_urls', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        batch_op.drop_column('refused_urls')
