"""stemmed search: stem columns on article, fed to the FTS5 table and the tsvector

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:40:00

``article.title_stems`` / ``article.body_stems`` hold the title and body with every word replaced by its
stem (``storage.stemming``: Snowball English/Russian, a light Tajik stemmer), computed in Python when an
article is stored. Both full-text indexes are rebuilt over the text as written AND the stems:

- SQLite: ``article_fts`` gets the columns (title, body, title_stems, body_stems); queries pick the
  columns per term with FTS5 column filters (stems for ordinary words, the text for ``=exact`` and
  ``prefix*`` terms).
- PostgreSQL: ``search_vector`` = stems of title (weight A) and body (B), then the text as written of
  title (C) and body (D), built as in migration 0002; queries pick weights per lexeme (``'x':AB``).

Existing rows are stemmed here in batches (about 3,000 articles a second), then the indexes rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.stemming import stem_text

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 2000

FOLD_FROM = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"  # noqa: E501
FOLD_TO = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYyAaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZzZzhtwyAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy"  # noqa: E501


def _written(column: str) -> str:
    """The text as written, cut as FTS5 cuts it (migration 0002's expression)."""
    value = f"coalesce({column}, '')"
    folded = (
        f"CASE WHEN {value} ~ '[\\u00c0-\\u024f\\u1e00-\\u1eff]' "
        f"THEN translate({value}, '{FOLD_FROM}', '{FOLD_TO}') ELSE {value} END"
    )
    return f"regexp_replace({folded}, '[^[:alnum:]]+', ' ', 'g')"


def _vector(stems: bool) -> str:
    parts = []
    if stems:
        parts += [
            "setweight(to_tsvector('simple'::regconfig, coalesce(title_stems, '')), 'A')",
            "setweight(to_tsvector('simple'::regconfig, coalesce(body_stems, '')), 'B')",
        ]
        written = (("title", "C"), ("body", "D"))
    else:
        written = (("title", "A"), ("body", "B"))
    parts += [f"setweight(to_tsvector('simple'::regconfig, {_written(col)}), '{w}')" for col, w in written]
    return " || ".join(parts)


def _pg_vector(stems: bool) -> list[str]:
    return [
        "DROP INDEX IF EXISTS ix_article_search_vector",
        "ALTER TABLE article DROP COLUMN IF EXISTS search_vector",
        f"ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_vector(stems)}) STORED",
        "CREATE INDEX ix_article_search_vector ON article USING GIN (search_vector)",
    ]


def _sqlite_fts(columns: tuple[str, ...]) -> list[str]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        "DROP TRIGGER IF EXISTS article_fts_ai",
        "DROP TRIGGER IF EXISTS article_fts_ad",
        "DROP TRIGGER IF EXISTS article_fts_au",
        "DROP TABLE IF EXISTS article_fts",
        f"""CREATE VIRTUAL TABLE article_fts USING fts5(
            {names}, content='article', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2')""",
        f"""CREATE TRIGGER article_fts_ai AFTER INSERT ON article BEGIN
            INSERT INTO article_fts(rowid, {names}) VALUES (new.id, {new});
        END""",
        f"""CREATE TRIGGER article_fts_ad AFTER DELETE ON article BEGIN
            INSERT INTO article_fts(article_fts, rowid, {names}) VALUES ('delete', old.id, {old});
        END""",
        f"""CREATE TRIGGER article_fts_au AFTER UPDATE OF {names} ON article BEGIN
            INSERT INTO article_fts(article_fts, rowid, {names}) VALUES ('delete', old.id, {old});
            INSERT INTO article_fts(rowid, {names}) VALUES (new.id, {new});
        END""",
        "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
    ]


def _stem_existing_rows() -> None:
    """Fill the stem columns of every stored article, in id order, a batch per statement."""
    bind = op.get_bind()
    article = sa.table(
        "article",
        sa.column("id", sa.Integer),
        sa.column("title", sa.Text),
        sa.column("body", sa.Text),
        sa.column("language", sa.String),
        sa.column("title_stems", sa.Text),
        sa.column("body_stems", sa.Text),
    )
    update = (
        sa.update(article)
        .where(article.c.id == sa.bindparam("row_id"))
        .values(title_stems=sa.bindparam("t"), body_stems=sa.bindparam("b"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(article.c.id, article.c.title, article.c.body, article.c.language)
            .where(article.c.id > last)
            .order_by(article.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = [
            {"row_id": id_, "t": stem_text(title, lang), "b": stem_text(body, lang)}
            for id_, title, body, lang in rows
        ]
        bind.execute(update, values)
        last = rows[-1][0]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("article", sa.Column("title_stems", sa.Text(), nullable=False, server_default=""))
    op.add_column("article", sa.Column("body_stems", sa.Text(), nullable=False, server_default=""))
    if dialect == "postgresql":
        # Drop the vector first: otherwise every stem update below would recompute it.
        op.execute("DROP INDEX IF EXISTS ix_article_search_vector")
        op.execute("ALTER TABLE article DROP COLUMN IF EXISTS search_vector")
    elif dialect == "sqlite":
        for name in ("article_fts_ai", "article_fts_ad", "article_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    _stem_existing_rows()
    if dialect == "postgresql":
        for statement in _pg_vector(stems=True):
            op.execute(statement)
    elif dialect == "sqlite":
        for statement in _sqlite_fts(("title", "body", "title_stems", "body_stems")):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in _pg_vector(stems=False):
            op.execute(statement)
    elif dialect == "sqlite":
        for statement in _sqlite_fts(("title", "body")):
            op.execute(statement)
    op.drop_column("article", "body_stems")
    op.drop_column("article", "title_stems")
