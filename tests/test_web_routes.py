"""Every route over HTTP (Starlette TestClient) against a filled archive, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from test_web_data import ARTICLES, XSS, TestClient, archive_fixture, client_fixture, ids_fixture  # noqa: F401

HTML = "text/html; charset=utf-8"


def hit_titles(html: str) -> list[str]:
    return re.findall(r'<li class="hit">\s*<h2><a href="/articles/\d+">(.*?)</a>', html)


def test_front_page_shows_the_form_the_feed_link_and_the_latest_articles(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == HTML
    assert '<form class="search" method="get" action="/"' in response.text
    assert '<link rel="alternate" type="application/atom+xml"' in response.text
    assert 'href="/openapi.json"' in response.text
    assert "Latest articles" in response.text
    titles = hit_titles(response.text)
    assert len(titles) == 5, "one page of the newest articles"
    assert (
        titles[0]
        == "Khujand Declaration &lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    )


def test_search_highlights_matches_and_counts(client: TestClient) -> None:
    response = client.get("/", params={"q": '"border management"'})
    assert response.status_code == 200
    titles = hit_titles(response.text)
    assert set(titles) == {
        "OSCE trains Tajik border guards on border management in Dushanbe",
        "Tajikistan and OSCE deepen border management co-operation",
    }
    assert "<strong>2</strong> articles" in response.text
    # SQLite marks the phrase, PostgreSQL each word of it.
    assert re.search(r"<mark>border(</mark> <mark>| )management</mark>", response.text, re.I)
    # The URL holds the whole query: the feed and JSON links repeat it.
    assert 'href="/feed.atom?q=%22border+management%22"' in response.text
    assert 'href="/api/articles?q=%22border+management%22"' in response.text


def test_search_in_russian_and_tajik(client: TestClient) -> None:
    ru = client.get("/", params={"q": "пограничников"})
    assert hit_titles(ru.text) == ["ОБСЕ обучила таджикских пограничников в Душанбе"]
    tg = client.get("/", params={"q": "сарҳадбонон"})
    assert hit_titles(tg.text) == ["САҲА дар Душанбе барои сарҳадбонон курс гузаронд"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "Dushanbe", "source": "tdi"}, {"Tajikistan and OSCE deepen border management co-operation"}),
        ({"tag": "border management", "language": "ru"}, {"ОБСЕ обучила таджикских пограничников в Душанбе"}),
        ({"tag": "energy"}, {"Rogun: Tajikistan outlines water-energy plans"}),
        (
            {"q": "border", "since": "2024-03-13", "until": "2024-03-15", "language": "en"},
            {"Tajikistan and OSCE deepen border management co-operation"},
        ),
        ({"since": "2024-03-21", "until": "2024-03-21"}, {f"Khujand Declaration {XSS}"}),
    ],
)
def test_filters_narrow_the_results(client: TestClient, params: dict[str, str], expected: set[str]) -> None:
    response = client.get("/", params=params)
    assert response.status_code == 200
    titles = {
        t.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"') for t in hit_titles(response.text)
    }
    assert titles == expected
    # The chosen filters stay selected in the form, so the page can be refined.
    if "source" in params:
        assert f'<option value="{params["source"]}" selected>' in response.text
    if "since" in params:
        assert f'name="since" type="date" value="{params["since"]}"' in response.text


def test_pagination_walks_every_result_once(client: TestClient) -> None:
    seen: list[str] = []
    url = "/?q=gender+equality&order=newest"
    for page in (1, 2, 3):
        response = client.get(url)
        assert response.status_code == 200
        assert f"page {page} of 3" in response.text
        seen += hit_titles(response.text)
        match = re.search(r'<a rel="next" href="([^"]+)"', response.text)
        if page < 3:
            assert match, "a next link on every page but the last"
            url = match.group(1).replace("&amp;", "&")
        else:
            assert match is None
            assert 'rel="prev"' in response.text
    assert len(seen) == len(set(seen)) == 12
    numbers = [int(re.search(r"number (\d+)", t).group(1)) for t in seen]  # type: ignore[union-attr]
    assert numbers == sorted(numbers, reverse=True), "newest first"


def test_a_page_past_the_end_says_so(client: TestClient) -> None:
    response = client.get("/", params={"q": "gender", "page": "9"})
    assert response.status_code == 200
    assert hit_titles(response.text) == []
    assert "past the last result" in response.text and 'href="/?q=gender"' in response.text


HOSTILE = [
    '"',
    '"unbalanced phrase',
    "*",
    "NEAR(border management)",
    "title:border",
    "^border",
    "') OR 1=1 --",
    "border AND OR NOT",
    "- - -",
    "x" * 499,
    "🙂 🇹🇯",
    "%' UNION SELECT * FROM article --",
    "<script>alert(1)</script>",
    "\\",
    "a" * 200 + "*",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_break_the_page(client: TestClient, q: str) -> None:
    response = client.get("/", params={"q": q})
    assert response.status_code in (200, 400), response.text
    assert "<script>alert(1)</script>" not in response.text
    if response.status_code == 400:
        assert 'role="alert"' in response.text
    api = client.get("/api/articles", params={"q": q})
    assert api.status_code in (200, 400)
    if api.status_code == 400:
        assert api.json()["error"]["message"]


@pytest.mark.parametrize(
    ("params", "wording"),
    [
        ({"q": "border\x00"}, "control characters"),
        ({"q": "x" * 501}, "too long"),
        ({"since": "2024-13-01"}, "YYYY-MM-DD"),
        ({"since": "last tuesday"}, "YYYY-MM-DD"),
        ({"source": "osec"}, "did you mean 'osce'"),
        ({"tag": "border managment"}, "did you mean 'border management'"),
        ({"language": "xx"}, "no article has language 'xx'"),
        ({"until": "0001-01-01"}, "between 1900 and 2999"),
        ({"since": "2024-03-20", "until": "2024-03-01"}, "is after until"),
        ({"order": "random()"}, "order must be one of"),
        ({"page": "0"}, "page must be between"),
        ({"page": "-1"}, "page must be a whole number"),
        ({"page": "100000"}, "page must be between"),
        ({"page": "1e3"}, "whole number"),
        ({"source": ["s"] * 21}, "too many source filters"),
        ({"tag": "t" * 65}, "tag is too long"),
    ],
)
def test_bad_parameters_get_a_readable_400(client: TestClient, params: dict, wording: str) -> None:
    response = client.get("/", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == HTML
    assert wording.lower() in response.text.replace("&#39;", "'").lower()
    assert "Traceback" not in response.text
    assert '<form class="search"' in response.text, "the reader can correct the query in place"


@pytest.mark.parametrize(
    ("params", "wording"),
    [
        ({"limit": "101"}, "limit must be between 1 and 100"),
        ({"limit": "0"}, "limit must be between"),
        ({"limit": "ten"}, "whole number"),
        ({"offset": "10001"}, "offset must be between 0 and 10000"),
        ({"since": "2024-02-30"}, "YYYY-MM-DD"),
    ],
)
def test_api_page_size_and_dates_are_bounded(client: TestClient, params: dict, wording: str) -> None:
    response = client.get("/api/articles", params=params)
    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": response.json()["error"]["message"]}}
    assert wording in response.json()["error"]["message"]


def test_api_search_pages_with_limit_and_offset(client: TestClient) -> None:
    first = client.get("/api/articles", params={"q": "gender", "limit": 100}).json()
    assert first["total"] == 12 and first["limit"] == 100 and len(first["items"]) == 12
    page = client.get(
        "/api/articles", params={"q": "gender", "limit": 5, "offset": 10, "order": "newest"}
    ).json()
    assert (page["offset"], page["limit"], len(page["items"])) == (10, 5, 2)
    item = page["items"][0]
    assert set(item) >= {
        "id",
        "url",
        "page_url",
        "source",
        "title",
        "published_at",
        "language",
        "tags",
        "snippet",
    }
    assert "\x02" not in item["snippet"] and "<mark>" in item["snippet_html"]
    assert item["page_url"].endswith(f"/articles/{item['id']}")


def test_article_page_shows_body_tags_original_and_other_reports(client: TestClient, ids: dict) -> None:
    original = ids[ARTICLES[0]["url"]]
    response = client.get(f"/articles/{original}")
    assert response.status_code == 200
    html = response.text
    assert "<h1>OSCE trains Tajik border guards on border management in Dushanbe</h1>" in html
    assert html.count("<p>") >= 3, "one <p> per paragraph of the body"
    assert f'href="{ARTICLES[0]["url"]}"' in html
    assert 'href="/?tag=border+management"' in html
    related = html.split("Also reported by", 1)[1]
    assert "ОБСЕ обучила таджикских пограничников в Душанбе" in related
    assert "САҲА дар Душанбе барои сарҳадбонон курс гузаронд" in related


def test_a_duplicate_links_to_its_original_and_siblings(client: TestClient, ids: dict) -> None:
    duplicate = ids[ARTICLES[2]["url"]]
    data = client.get(f"/api/articles/{duplicate}").json()
    assert data["duplicate_of"] == ids[ARTICLES[0]["url"]]
    others = {(item["id"], item["is_original"]) for item in data["also_reported_by"]}
    assert others == {(ids[ARTICLES[0]["url"]], True), (ids[ARTICLES[3]["url"]], False)}
    page = client.get(f"/articles/{duplicate}").text
    assert "first report" in page


def test_scraped_markup_is_escaped_everywhere(client: TestClient, ids: dict) -> None:
    article_id = ids["https://thediplomaticinsight.com/xss-test"]
    pages = [
        client.get("/", params={"q": "Khujand"}).text,
        client.get(f"/articles/{article_id}").text,
        client.get("/", params={"since": "2024-03-21"}).text,
    ]
    for html in pages:
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
    feed = client.get("/feed.atom", params={"q": "Khujand"})
    assert b"<script>" not in feed.content and b"&lt;script&gt;" in feed.content
    data = client.get(f"/api/articles/{article_id}").json()
    assert XSS in data["title"], "JSON carries the text as it is; escaping is the reader's job there"
    assert "<script>" not in data["title"].replace(XSS, "")


@pytest.mark.parametrize(
    "path", ["/articles/999999", "/articles/0", "/articles/99999999999999999999", "/articles/abc", "/nowhere"]
)
def test_missing_pages_are_404_pages(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == HTML
    assert "Back to search" in response.text


@pytest.mark.parametrize(
    "path", ["/api/articles/999999", "/api/articles/99999999999999999999", "/api/nothing"]
)
def test_missing_api_resources_are_json_404s(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_writes_are_refused(client: TestClient) -> None:
    response = client.post("/api/articles", json={})
    assert response.status_code == 405
    assert client.delete("/articles/1").status_code == 405


def test_sources_page_shows_health_and_a_weekly_chart(client: TestClient) -> None:
    response = client.get("/sources")
    assert response.status_code == 200
    html = response.text
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(
            r'<tr class="\w+">\s*<th scope="row"><a href="/\?source=(\w+)".*?</tr>', html, re.S
        )
    }
    assert set(rows) == {"osce", "asiaplus", "ozodi", "tdi"}
    assert 'class="failing"' in html and ">failed<" in rows["asiaplus"]
    assert '<td class="num">3</td>' in rows["asiaplus"], "three failures in a row"
    assert ">ok<" in rows["osce"] and '<td class="num">3</td>' in rows["osce"], (
        "three new items in the last run"
    )
    assert "never" in rows["ozodi"]
    assert "<svg" in html and "Articles per week per source" in html
    for name in ("osce", "asiaplus", "tdi"):
        assert f">{name}</text>" in html, f"{name} in the chart legend"


def test_chart_svg_is_a_standalone_image(client: TestClient) -> None:
    response = client.get("/sources/chart.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_api_sources_lists_health(client: TestClient) -> None:
    items = {item["name"]: item for item in client.get("/api/sources").json()["items"]}
    assert items["asiaplus"]["consecutive_failures"] == 3 and items["asiaplus"]["healthy"] is False
    assert items["osce"]["last_run"]["status"] == "ok" and items["osce"]["last_run"]["items_new"] == 3
    assert items["ozodi"]["last_run"] is None and items["ozodi"]["healthy"] is None
    assert items["ozodi"]["label"] == "Radio Ozodi"


@pytest.mark.parametrize(
    "path", ["/", "/?q=border", "/articles/1", "/sources", "/feed.atom", "/api/articles", "/openapi.json", "/nope",
             "/?since=bad", "/static/style.css"]
)  # fmt: skip
def test_every_response_carries_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code < 500
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_pages_link_the_api_and_static_css_is_served(client: TestClient) -> None:
    html = client.get("/sources").text
    assert 'href="/api/sources"' in html and 'href="/openapi.json"' in html
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_unknown_filter_values_are_a_400_in_the_api_naming_close_matches(client: TestClient) -> None:
    response = client.get("/api/articles", params={"source": "osec"})
    assert response.status_code == 400
    assert "did you mean 'osce'" in response.json()["error"]["message"]


def test_tags_match_whatever_the_case_and_relative_dates_are_understood(client: TestClient) -> None:
    upper = client.get("/api/articles", params={"tag": "BORDER-Management", "limit": 50}).json()
    lower = client.get("/api/articles", params={"tag": "border management", "limit": 50}).json()
    assert upper["total"] == lower["total"] > 0
    recent = client.get("/api/articles", params={"since": "7d"})
    assert recent.status_code == 200 and recent.json()["total"] == 0  # the fixture's articles are from 2024
    assert client.get("/api/articles", params={"since": "10y"}).json()["total"] > 0
