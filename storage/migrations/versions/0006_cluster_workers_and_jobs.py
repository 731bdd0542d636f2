"""cluster: worker heartbeats and the ledger of crawl jobs on the broker

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:00:00

``cluster_worker`` is what ``newswatch status`` shows of each worker; ``crawl_job`` keeps the leader
from putting a second job for a source on the broker while one is still queued or running.
Single-machine installations never write to either table.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cluster_worker',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('host', sa.String(length=200), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('current_jobs', sa.Text(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_cluster_worker')),
    )
    op.create_table(
        'crawl_job',
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('worker', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('source', name=op.f('pk_crawl_job')),
    )


def downgrade() -> None:
    op.drop_table('crawl_job')
    op.drop_table('cluster_worker')
