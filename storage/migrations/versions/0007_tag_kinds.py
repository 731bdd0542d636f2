"""tag kinds: article_tag holds folded tag keys and whether each is a topic or a section

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:00:00

``article_tag.tag`` becomes the folded key (``storage.tags.tag_key``: case, Latin accents and separators
folded, so ``Border-Management`` and ``border management`` are one tag) and ``kind`` says what the tag is:
``topic``, an OSCE field of work, or ``section``, a site's own category. New rows get their kind from the
crawler (a declared tag that is not a field of work is a section); existing rows are classified here
against the fields of work and their aliases as ``crawler/rules/tags.toml`` lists them today (a snapshot:
a migration must not change when the rules do).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tags import tag_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FIELDS_OF_WORK = frozenset({
    "anti trafficking", "arms control", "border management", "border security",
    "border security and management", "combating human trafficking", "combating terrorism",
    "combating trafficking in human beings", "conflict cycle", "conflict prevention",
    "conflict prevention and resolution", "conflict resolution", "counter terrorism", "countering terrorism",
    "counterterrorism", "cyber ict security", "cyber security", "cyber security and ict", "cybersecurity",
    "democracy", "democratisation", "democratization", "economic", "economic activities", "economic activity",
    "economic and environmental activities", "education", "election", "election observation", "elections",
    "elections observation", "environment", "environmental", "environmental activities",
    "environmental protection", "freedom of the media", "fundamental freedoms", "gender", "gender equality",
    "gender issues", "good governance", "governance", "hate crime", "hcnm",
    "high commissioner on national minorities", "human dimension", "human rights", "human trafficking",
    "ict security", "judicial reform", "labour migration", "law enforcement", "legal reform", "media",
    "media development", "media freedom", "media freedom and development", "migration",
    "migration management", "minority rights", "national minorities", "national minority issues",
    "non discrimination", "police", "police reform", "policing", "preventing violent extremism",
    "reform and co operation in the security sector", "reform and cooperation in the security sector", "roma",
    "roma and sinti", "roma and sinti issues", "rule of law", "salw", "security sector governance and reform",
    "security sector reform", "sinti", "small arms and light weapons", "ssg r", "ssr", "tolerance",
    "tolerance and non discrimination", "trafficking in human beings", "women, peace and security",
    "young people", "youth", "youth and security",
})  # fmt: skip


def upgrade() -> None:
    op.add_column("article_tag", sa.Column("kind", sa.String(16), nullable=False, server_default="topic"))
    bind = op.get_bind()
    for (tag,) in bind.execute(sa.text("SELECT DISTINCT tag FROM article_tag")).all():
        key = tag_key(tag)
        kind = "topic" if key in FIELDS_OF_WORK else "section"
        if key != tag:
            bind.execute(
                sa.text(
                    "INSERT INTO article_tag (article_id, tag, kind) SELECT article_id, :key, :kind "
                    "FROM article_tag WHERE tag = :tag ON CONFLICT DO NOTHING"
                ),
                {"key": key, "kind": kind, "tag": tag},
            )
            bind.execute(sa.text("DELETE FROM article_tag WHERE tag = :tag"), {"tag": tag})
        elif kind != "topic":
            bind.execute(
                sa.text("UPDATE article_tag SET kind = :kind WHERE tag = :tag"), {"kind": kind, "tag": tag}
            )


def downgrade() -> None:
    op.drop_column("article_tag", "kind")
