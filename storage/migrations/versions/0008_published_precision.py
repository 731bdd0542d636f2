"""published precision: the publisher's calendar day and whether a time was given; baseline archive

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:00:00

Before this, a page that gave only a day was stored as an instant: midnight in Asia/Dushanbe
(19:00Z the day before) for most parsers, 12:00Z for OSCE releases. Displays took the UTC date, so
those articles showed a day early, and ``show`` printed times the source never gave.

Existing rows are converted by what those two signatures mean:

* ``published_at`` at exactly 00:00 in Asia/Dushanbe (how every naive bare date was read) -> day
  precision, that Dushanbe day;
* OSCE rows at exactly 12:00:00Z (its date-only field) -> day precision, that UTC day;
* everything else -> minute precision, its day taken in the source's zone as shipped in
  crawler/sources.toml at this revision (unknown sources: UTC).

``baseline_archive`` marks articles a source's first (baseline) crawl archived without mailing them
(see storage.baseline); existing rows are not baseline archive.

Day-only rows get ``published_at`` = the first instant of the day in the source's zone, as the
normaliser now stores them, so ordering stays consistent with new rows.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DUSHANBE = ZoneInfo('Asia/Dushanbe')
# The registry's zones at this revision (a migration is a snapshot: it must not import the crawler).
SOURCE_ZONES = {
    'osce': 'Europe/Vienna',
    'timesca': 'Asia/Almaty',
    'tdi': 'Asia/Karachi',
    'asiaplus': 'Asia/Dushanbe',
    'eurasianet': 'America/New_York',
    'ozodi': 'Asia/Dushanbe',
    'khovar': 'Asia/Dushanbe',
}
BATCH = 1000


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode): on SQLite a batch would copy the table and lose the full-text
    # triggers that the search migrations put on it.
    op.add_column('article', sa.Column('published_day', sa.Date(), nullable=True))
    op.add_column('article', sa.Column('published_precision', sa.String(length=8), nullable=True))
    op.add_column(
        'article', sa.Column('baseline_archive', sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_index('ix_article_published_day', 'article', ['published_day'], unique=False)
    convert_rows(op.get_bind())


def convert_rows(bind: sa.engine.Connection) -> None:
    """Fill day and precision for every dated row, in id order, a batch at a time."""
    article = sa.table(
        'article',
        sa.column('id', sa.Integer),
        sa.column('source', sa.String),
        sa.column('published_at', sa.DateTime(timezone=True)),
        sa.column('published_day', sa.Date),
        sa.column('published_precision', sa.String),
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(article.c.id, article.c.source, article.c.published_at)
            .where(article.c.id > last_id, article.c.published_at.is_not(None))
            .order_by(article.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        changes = [dict(zip(('b_id', 'at', 'day', 'precision'), convert(r.id, r.source, r.published_at), strict=True)) for r in rows]
        bind.execute(
            article.update()
            .where(article.c.id == sa.bindparam('b_id'))
            .values(
                published_at=sa.bindparam('at'),
                published_day=sa.bindparam('day'),
                published_precision=sa.bindparam('precision'),
            ),
            changes,
        )
        last_id = rows[-1].id


def convert(article_id: int, source: str, at: dt.datetime) -> tuple[int, dt.datetime, dt.date, str]:
    """(id, published_at, published_day, precision) for one stored row."""
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=dt.UTC)
    at = at.astimezone(dt.UTC)
    zone = ZoneInfo(SOURCE_ZONES.get(source, 'UTC'))
    local = at.astimezone(DUSHANBE)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        day = local.date()
    elif source == 'osce' and (at.hour, at.minute, at.second) == (12, 0, 0):
        day = at.date()
    else:
        return article_id, _bind(at), at.astimezone(zone).date(), 'minute'
    start = dt.datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(dt.UTC)
    return article_id, _bind(start), day, 'day'


def _bind(value: dt.datetime) -> dt.datetime:
    """Naive UTC on SQLite (as storage.types.UTCDateTime stores it), aware elsewhere."""
    return value.replace(tzinfo=None) if op.get_bind().dialect.name == 'sqlite' else value


def downgrade() -> None:
    op.drop_index('ix_article_published_day', table_name='article')
    op.drop_column('article', 'baseline_archive')
    op.drop_column('article', 'published_precision')
    op.drop_column('article', 'published_day')
