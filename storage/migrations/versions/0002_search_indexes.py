"""search indexes: accent-folded PostgreSQL search vector, newest-first browse index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:05:00

On SQLite: a covering index for filtering full-text matches (source, language, date) by article id.
On PostgreSQL: the search vector is rebuilt from text that has (1) Latin diacritics folded, as FTS5's
``remove_diacritics 2`` does, and (2) every run of non-alphanumerics turned into one space, so the
'simple' parser sees the same word tokens FTS5's unicode61 sees ("www.osce.org" -> www, osce, org;
"OSCE-led" -> osce, led) and a query behaves the same on both backends. The browse index serves
"newest first" listings without sorting the whole table.
"""

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

FOLD_FROM = 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ'
FOLD_TO = 'AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYyAaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZzZzhtwyAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy'



def _search_text(column: str) -> str:
    # Written out in the column definition. translate() walks the whole FOLD_FROM list for every
    # character (26 ms for a 2 kB body), so it runs only on text that holds an accented Latin letter.
    value = f"coalesce({column}, '')"
    folded = (
        f"CASE WHEN {value} ~ '[\\u00c0-\\u024f\\u1e00-\\u1eff]' "
        f"THEN translate({value}, '{FOLD_FROM}', '{FOLD_TO}') ELSE {value} END"
    )
    return f"regexp_replace({folded}, '[^[:alnum:]]+', ' ', 'g')"


UPGRADE_PG = [
    "DROP INDEX IF EXISTS ix_article_search_vector",
    "ALTER TABLE article DROP COLUMN IF EXISTS search_vector",
    f"""ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, {_search_text('title')}), 'A') ||
        setweight(to_tsvector('simple'::regconfig, {_search_text('body')}), 'B')) STORED""",
    "CREATE INDEX ix_article_search_vector ON article USING GIN (search_vector)",
    "CREATE INDEX ix_article_published_desc ON article (published_at DESC NULLS LAST, id DESC)",
]
DOWNGRADE_PG = [
    "DROP INDEX IF EXISTS ix_article_published_desc",
    "DROP INDEX IF EXISTS ix_article_search_vector",
    "ALTER TABLE article DROP COLUMN IF EXISTS search_vector",
    """ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(body, '')), 'B')) STORED""",
    "CREATE INDEX ix_article_search_vector ON article USING GIN (search_vector)",
]


# SQLite: full-text matches are filtered by joining article on id; this covering index answers the
# filter columns without reading the wide article row (whose body spills into overflow pages).
UPGRADE_SQLITE = ["CREATE INDEX ix_article_search_filter ON article (id, published_at, source, language)"]
DOWNGRADE_SQLITE = ["DROP INDEX IF EXISTS ix_article_search_filter"]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in UPGRADE_PG if dialect == "postgresql" else UPGRADE_SQLITE if dialect == "sqlite" else []:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in DOWNGRADE_PG if dialect == "postgresql" else DOWNGRADE_SQLITE if dialect == "sqlite" else []:
        op.execute(statement)
