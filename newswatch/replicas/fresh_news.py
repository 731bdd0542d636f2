"""Publish a fresh story on the Khovar replica, as the agency would after our first crawl.

The replicas are snapshots from 2024, so everything on them is old: a first crawl archives it as the
source's baseline and mails nothing. To show (and test) that a story published *after* the baseline
is mailed, this writes one new article page, dated ``now``, and a feed that lists it first.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from pathlib import Path
from zoneinfo import ZoneInfo

from newswatch.replicas.server import ReplicaServer

KHOVAR = Path(__file__).parent / "khovar"
_OLD_PAGE = "2024/09/peshvoi-millat-bo-kotibi-generalii-saha-mulokot-kard"
_OLD_TITLE = "Пешвои миллат бо Котиби генералии САҲА мулоқот кард"
FRESH_TITLE = "Дар Душанбе конфронси байналмилалӣ оид ба об оғоз шуд"
_FRESH_LEAD = (
    "Дар Душанбе конфронси байналмилалӣ оид ба об оғоз шуд. Намояндагони Тоҷикистон ва САҲА "
    "масъалаҳои ҳамкориро баррасӣ карданд."
)


def publish_fresh_khovar_story(server: ReplicaServer, now: dt.datetime | None = None) -> str:
    """Put a story dated ``now`` on the Khovar replica's Tajik feed; returns its URL."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo("Asia/Dushanbe")).replace(microsecond=0)
    path = f"/{now:%Y/%m}/konfronsi-ob-{now:%d%H%M%S}/"
    url = server.base_url + path
    page = (KHOVAR / _OLD_PAGE / "index.html").read_text(encoding="utf-8")
    page = page.replace(_OLD_TITLE, FRESH_TITLE)
    page = page.replace("2024-09-23T15:20:00+05:00", now.isoformat())
    page = page.replace("23.09.2024 15:20", f"{now:%d.%m.%Y %H:%M}").replace("23.09.2024", f"{now:%d.%m.%Y}")
    head, _, rest = page.partition('<div class="entry-content">')
    body_end = rest.index("</div>")
    page = f'{head}<div class="entry-content">\n<p>{_FRESH_LEAD}</p>\n{rest[:body_end]}{rest[body_end:]}'
    server.put(path, page, "text/html; charset=utf-8")
    feed = (
        (KHOVAR / "feed" / "index.xml").read_text(encoding="utf-8").replace("{{BASE_URL}}", server.base_url)
    )
    item = (
        f"<item><title>{FRESH_TITLE}</title><link>{url}</link>"
        f"<pubDate>{email.utils.format_datetime(now)}</pubDate>"
        f'<guid isPermaLink="false">{url}</guid><description>{_FRESH_LEAD}</description></item>'
    )
    server.put("/feed/", feed.replace("<item>", item + "\n\t<item>", 1), "application/rss+xml; charset=utf-8")
    return url
