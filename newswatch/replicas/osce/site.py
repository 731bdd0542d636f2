"""The OSCE replica: Drupal-like press-release pages and listings rendered from ``_site/articles.toml``.

Pages carry the real site's whole navigation (``_site/nav.txt``, from the seed captures), a content-type
label, the title, the ``Date:`` / ``Source:`` / ``Fields of work:`` block, a body opening with a dateline,
attachments, and share / related-links blocks after the article. Listings live at ``/press-releases``
(everything) and ``/press-releases?filters=+im_taxonomy_vid_1:(40)`` (the Programme Office in Dushanbe),
newest first, ``page_size`` items per ``&page=N`` (from 0), with a Drupal pager.

Options (``ReplicaServer("osce", **options)``):

- ``variant="renamed"``: the article markup's CSS classes are renamed (a site redesign), so the site
  parser finds nothing and the generic layer must fill in;
- ``synthetic=N``: N more generated press releases (for the benchmark), every fourth from the office;
- ``page_size`` (default 5).

``server.site.add_article(title=..., date=..., ...)`` adds a press release while the server runs.
"""

from __future__ import annotations

import datetime as dt
import html
import threading
import tomllib
from pathlib import Path
from typing import Any

import jinja2

HERE = Path(__file__).resolve().parent / "_site"
OFFICE_FILTER = "+im_taxonomy_vid_1:(40)"
OFFICE = "OSCE Programme Office in Dushanbe"
CLASSES = {
    "default": {
        "type": "content-type-label",
        "title": "page-title",
        "meta": "node-metadata",
        "body": "field--name-body",
    },
    "renamed": {"type": "kicker", "title": "headline", "meta": "details-list", "body": "rich-text"},
}


def date_text(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def nav_html(path: Path = HERE / "nav.txt") -> str:
    """The seed's menu (``-`` lines open a heading) as nested Drupal-style menu markup."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = ['    <ul class="menu menu--level-1">']
    heading_next = False
    for line in lines:
        if line.strip() == "-":
            heading_next = True
            continue
        text = html.escape(line[2:] if line.startswith("- ") else line)
        slug = "/" + "-".join(text.lower().replace("/", " ").split())
        if heading_next:
            out.append(
                f'      <li class="menu-item menu-item--expanded"><span class="menu-heading">{text}</span></li>'
            )
            heading_next = False
        else:
            out.append(f'      <li class="menu-item"><a href="{slug}">{text}</a></li>')
    out.append("    </ul>")
    return "\n".join(out)


def synthetic_article(i: int) -> dict[str, Any]:
    """A generated press release: plausible text, unique per index, always about Tajikistan."""
    office = i % 4 == 0
    day = dt.date(2015, 1, 1) + dt.timedelta(days=i % 3650)
    topics = ["border security", "water management", "media freedom", "community policing", "gender equality"]
    topic = topics[i % len(topics)]
    where = OFFICE if office else "Secretariat"
    paragraphs = [
        f"DUSHANBE, {date_text(day.isoformat())} - The OSCE held event number {i} on {topic} in Tajikistan, "
        f"bringing together {10 + i % 40} officials, experts and representatives of civil society.",
        f"Participants discussed how {topic} contributes to security and co-operation in Central Asia, "
        f"and reviewed the results of projects carried out since {2005 + i % 18}.",
        f"The event (reference {i:06d}) is part of a long-term OSCE programme supporting Tajikistan in the "
        "implementation of its OSCE commitments across all three dimensions of security.",
        "Speakers stressed the importance of regional co-operation, of the participation of women and young "
        "people, and of transparent and accountable institutions.",
    ]
    return {
        "path": f"/{'programme-office-in-dushanbe' if office else 'secretariat'}/{900000 + i}",
        "title": f"OSCE event {i} on {topic} held in Tajikistan",
        "date": day.isoformat(),
        "content_type": "Press release",
        "source": where,
        "source_href": "/programme-office-in-dushanbe" if office else "/secretariat",
        "where": where,
        "office": office,
        "fields": ["Border management"] if i % 2 else ["Environmental activities", "Good governance"],
        "teaser": paragraphs[0][:140],
        "paragraphs": paragraphs,
    }


class OsceSite:
    def __init__(self, server: Any, variant: str = "default", synthetic: int = 0, page_size: int = 5) -> None:
        if variant not in CLASSES:
            raise ValueError(f"variant must be one of {sorted(CLASSES)}")
        self.server = server
        self.classes = CLASSES[variant]
        self.page_size = page_size
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, keep_trailing_newline=True
        )
        self.nav = jinja2.utils.markupsafe.Markup(nav_html())
        self.articles: list[dict[str, Any]] = tomllib.loads((HERE / "articles.toml").read_text("utf-8"))[
            "article"
        ]
        self.articles += [synthetic_article(i) for i in range(synthetic)]
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()
        for article in self.articles:
            server.route(article["path"], self._article_handler(article["path"]))
        server.route("/press-releases", self._listing)

    # --- content ---------------------------------------------------------------------------------
    def add_article(self, **article: Any) -> dict[str, Any]:
        """Publish a new press release; listings show it at once (newest first)."""
        article.setdefault("content_type", "Press release")
        article.setdefault("source", OFFICE if article.get("office") else "OSCE Secretariat")
        article.setdefault("source_href", "/programme-office-in-dushanbe")
        article.setdefault("where", OFFICE if article.get("office") else "Secretariat")
        article.setdefault("fields", [])
        article.setdefault("teaser", article["paragraphs"][0][:140])
        with self._lock:
            self.articles.append(article)
        self.server.route(article["path"], self._article_handler(article["path"]))
        return article

    def listing(self, office: bool) -> list[dict[str, Any]]:
        with self._lock:
            items = [a for a in self.articles if a.get("office") or not office]
        return sorted(items, key=lambda a: (a["date"], a["path"]), reverse=True)

    def article(self, path: str) -> dict[str, Any]:
        return next(a for a in self.articles if a["path"] == path)

    # --- rendering -------------------------------------------------------------------------------
    def _article_handler(self, path: str) -> Any:
        def handler(query: dict[str, list[str]]) -> Any:
            with self._lock:
                body = self._cache.get(path)
            if body is None:
                body = self.render_article(self.article(path)).encode("utf-8")
                with self._lock:
                    self._cache[path] = body
            return self.server.make_page(body)

        return handler

    def render_article(self, article: dict[str, Any]) -> str:
        others = [a for a in self.articles[:14] if a["path"] != article["path"]]
        start = sum(map(ord, article["path"])) % max(1, len(others))
        related = (others[start:] + others[:start])[:3]
        return self.env.get_template("article.html").render(
            lang="en",
            head_title=article["title"],
            body_class=f"path-node page-node-type-{article['content_type'].lower().replace(' ', '-')}",
            nav=self.nav,
            a=article,
            c=self.classes,
            type_slug=article["content_type"].lower().replace(" ", "-"),
            date_text=date_text(article["date"]),
            canonical=self.server.base_url + article["path"],
            related=related,
        )

    def _listing(self, query: dict[str, list[str]]) -> Any:
        office = "im_taxonomy_vid_1:(40)" in query.get("filters", [""])[0]
        try:
            page = max(0, int(query.get("page", ["0"])[0]))
        except ValueError:
            page = 0
        items = self.listing(office)
        chunk = items[page * self.page_size : (page + 1) * self.page_size]
        base = "/press-releases?filters=" + OFFICE_FILTER if office else "/press-releases"
        joiner = "&" if office else "?"
        last = (len(items) - 1) // self.page_size
        body = self.env.get_template("listing.html").render(
            lang="en",
            head_title="Press releases",
            body_class="path-press-releases",
            nav=self.nav,
            heading="Press releases" + (": Programme Office in Dushanbe" if office else ""),
            items=[{**a, "date_text": date_text(a["date"])} for a in chunk],
            page=page,
            prev_url=f"{base}{joiner}page={page - 1}" if page > 0 else None,
            next_url=f"{base}{joiner}page={page + 1}" if page < last else None,
            canonical=self.server.base_url + base,
        )
        return self.server.make_page(body.encode("utf-8"))


def install(server: Any, **options: Any) -> OsceSite:
    return OsceSite(server, **options)
