"""The normaliser shared by every source: raw extraction output in, clean storable article out.

Public API (everything a parser, spider or pipeline needs)::

    decode_html(data, declared_encoding=None) -> (text, encoding)
    repair_text(text) -> text            # mojibake, invisible characters, NFC
    normalize_body(text) -> text         # one blank line between paragraphs
    parse_date(value, now=None, languages=None) -> aware UTC datetime | None
    parse_dateline(body) -> Dateline | None
    canonical_url(url) -> url
    detect_language(text, declared=None) -> 'en' | 'ru' | 'tg' | ... | None
    content_hash(body) -> sha256 hex
    normalize_page(page, source=..., raw_html=None, encoding=None, now=None) -> ArticleRecord
    NotAnArticle                          # ValueError with a readable reason
"""

from crawler.normalize.dateline import Dateline, parse_dateline
from crawler.normalize.dates import parse_date
from crawler.normalize.encoding import decode_html, repair_text
from crawler.normalize.errors import NotAnArticle
from crawler.normalize.hashing import content_hash
from crawler.normalize.language import detect_language
from crawler.normalize.page import normalize_page
from crawler.normalize.text import normalize_body
from crawler.normalize.urls import canonical_url

__all__ = [
    "Dateline",
    "NotAnArticle",
    "canonical_url",
    "content_hash",
    "decode_html",
    "detect_language",
    "normalize_body",
    "normalize_page",
    "parse_date",
    "parse_dateline",
    "repair_text",
]
