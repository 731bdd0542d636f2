"""Body signals (crawler.parsers.body), boilerplate lines (crawler.parsers.boilerplate) and what they change
in extract_generic: the failure classes of issue 13, each as a small page built like the real ones."""

from __future__ import annotations

from lxml import html as lxml_html

from crawler.parsers import extract_generic
from crawler.parsers.body import find_body, focus_document
from crawler.parsers.boilerplate import drop_boilerplate_lines
from crawler.parsers.teasers import prune_teasers

STORY = [
    f"Paragraph {n} of the story: the council met on Tuesday and voted on the budget for the coming year, "
    f"with speaker number {n} arguing that the spending plan leaves the regions short of money."
    for n in range(1, 13)
]
AD = '<div class="ad full-bleed"><span class="ad-label">Advertisement</span><div class="ad-wrapper"></div></div>'


def _split_page() -> str:
    """An article cut into four same-class containers by adverts, like a real news CMS lays it out."""
    halves = "".join(
        '<div class="grid__container"><div class="grid__content article__content">'
        + "".join(f"<p>{p}</p>" for p in STORY[i : i + 3])
        + f"</div><aside class='grid__sidebar'>{AD}</aside></div>{AD}"
        for i in range(0, 12, 3)
    )
    return f"""<html><head><title>Council votes on budget</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<main><article class="article"><header><h1>Council votes on budget</h1></header>{halves}
<footer class="article__footer"><h2>Our readers read next</h2>
<ul><li><a href="/x">Another story about the weather this week</a></li></ul></footer></article></main>
</body></html>"""


def test_split_body_is_found_as_all_its_halves() -> None:
    tree = lxml_html.fromstring(_split_page())
    body = find_body(tree)
    assert body is not None
    assert body.signal == "class"
    assert len(body.elements) == 4
    assert [p.split(":")[0] for p in body.text().split("\n")] == [
        f"Paragraph {n} of the story" for n in range(1, 13)
    ]


def test_extract_generic_keeps_every_half_of_a_split_article() -> None:
    page = extract_generic(_split_page(), "https://news.example/council")
    assert page.body is not None
    for paragraph in STORY:
        assert paragraph in page.body
    assert "Advertisement" not in page.body
    assert "Another story about the weather" not in page.body


def test_stacked_articles_of_an_infinite_scroll_page_are_not_merged() -> None:
    story = "".join(f"<p>{p}</p>" for p in STORY[:6])
    other = "".join(f"<p>Other article, paragraph {n}, about a football transfer.</p>" for n in range(8))
    page = f"""<html><body><div class="feed">
<article><h1>Budget</h1><div class="article-body">{story}</div></article>
<article><h1>Transfer</h1><div class="article-body">{other}</div></article></div></body></html>"""
    body = find_body(lxml_html.fromstring(page))
    assert body is not None
    assert len(body.elements) == 1
    assert "football" not in body.text()


def test_itemprop_article_body_beats_a_bigger_unmarked_block() -> None:
    marked = "".join(f"<p>{p}</p>" for p in STORY[:3])
    page = f"""<html><body><div class="sidebar-list">{"".join(f"<p>{p}</p>" for p in STORY)}</div>
<div itemprop="articleBody">{marked}</div></body></html>"""
    body = find_body(lxml_html.fromstring(page))
    assert body is not None and body.signal == "itemprop"
    assert body.text().split("\n") == STORY[:3]


def test_unmarked_page_has_no_body_container() -> None:
    page = "<html><body><div>" + "".join(f"<p>{p}</p>" for p in STORY) + "</div></body></html>"
    assert find_body(lxml_html.fromstring(page)) is None


def test_focus_document_leaves_out_hidden_blocks() -> None:
    page = f"""<html><body><div class="entry-content"><p>{STORY[0]}</p>
<p style="display: none">Hidden subscriber teaser text</p><p hidden>Also hidden</p><p>{STORY[1]}</p>
</div></body></html>"""
    body = find_body(lxml_html.fromstring(page))
    assert body is not None
    text = focus_document(body).text_content()
    assert STORY[0] in text and STORY[1] in text
    assert "Hidden" not in text and "Also hidden" not in text


def test_boilerplate_lines_are_dropped() -> None:
    lines = [
        STORY[0],
        "Tags: budget, council, regions",
        "Got a story? Get in touch with our news team by emailing us.",
        "Sign up for our daily newsletter to get the latest news.",
        "Читайте также: Совет утвердил бюджет",
        "Подписывайтесь на наш канал в Telegram",
        STORY[1],
    ]
    assert drop_boilerplate_lines(lines) == [STORY[0], STORY[1]]


def test_a_phrase_inside_a_long_paragraph_is_kept() -> None:
    long_line = "Read more: " + " ".join(STORY[:3])
    assert drop_boilerplate_lines([long_line]) == [long_line]


def test_repeated_widget_lines_go_but_repeated_code_and_list_lines_stay() -> None:
    consent = "External content not available because of your privacy settings"
    lines = [
        STORY[0],
        consent,
        STORY[1],
        "SELECT *",
        consent,
        STORY[2],
        "SELECT *",
        "- item one",
        "- item one",
    ]
    assert drop_boilerplate_lines(lines) == [
        STORY[0],
        STORY[1],
        "SELECT *",
        STORY[2],
        "SELECT *",
        "- item one",
        "- item one",
    ]


def test_a_body_made_of_repeated_lines_is_kept() -> None:
    verse = "Row, row, row your boat gently down the stream"
    lines = [verse, verse, verse, "Merrily merrily merrily life is but a dream"]
    assert drop_boilerplate_lines(lines) == lines


def _teaser_page(teasers: str) -> str:
    story = "".join(f"<p>{p}</p>" for p in STORY[:6])
    return f"""<html><head><title>Council votes on budget</title></head><body><div class="page">
<h1>Council votes on budget</h1><div class="story">{story}</div>{teasers}</div></body></html>"""


def test_a_card_that_is_one_big_link_is_pruned() -> None:
    card = (
        '<div class="box"><ul><li><a href="/2024/other-story"><div><p><b>RISK REMAINS:</b> An official said the '
        "ministry was on alert after a carrier group was detected south of the island on Monday, officials said "
        "in a statement released to reporters in the capital late in the evening.</p></div></a></li></ul></div>"
    )
    tree = lxml_html.fromstring(_teaser_page(card))
    assert prune_teasers(tree) == 1
    assert "RISK REMAINS" not in tree.text_content()
    assert STORY[0] in tree.text_content()
    page = extract_generic(_teaser_page(card), "https://news.example/council")
    assert page.body is not None and "RISK REMAINS" not in page.body and STORY[5] in page.body


def test_sibling_headline_cards_are_pruned_but_the_body_is_kept() -> None:
    cards = "".join(
        f'<div class="story-block"><h4 class="heading"><a href="/opinion/{n}">Column {n} headline here</a></h4>'
        f"<p>COLUMNIST {n} It is nice to think the city is a player on the world stage.</p></div>"
        for n in range(3)
    )
    tree = lxml_html.fromstring(_teaser_page(f'<div class="group">{cards}</div>'))
    assert prune_teasers(tree) == 3
    assert "COLUMNIST" not in tree.text_content()
    assert all(p in tree.text_content() for p in STORY[:6])


def test_teaser_rules_never_remove_the_marked_body() -> None:
    sections = "".join(
        f'<div class="part"><h2><a href="/topic/{n}">Section {n}</a></h2><p>Short part {n} of the story.</p></div>'
        for n in range(3)
    )
    tree = lxml_html.fromstring(f'<html><body><div class="article-body">{sections}</div></body></html>')
    body = tree.xpath("//div[@class='article-body']")[0]
    prune_teasers(tree, keep=[body])
    assert body.getparent() is not None


def test_prose_only_the_marked_body_pass_kept_is_added_in_its_place() -> None:
    from crawler.parsers.generic import _with_prose_of

    explainer = "Nato, the North Atlantic Treaty Organization, is a military alliance founded in 1949 by twelve countries."
    precise = "\n".join([STORY[0], STORY[1]])
    focused = "\n".join([STORY[0], "What is Nato?", explainer, "Share this article", STORY[1]])
    assert _with_prose_of(precise, focused).split("\n") == [STORY[0], explainer, STORY[1]]
    # Segmented differently (a precise line the focused pass does not have): keep the precise text as is.
    assert _with_prose_of(precise + "\nOnly here", focused) == precise + "\nOnly here"


def test_an_embedded_tweet_inside_the_article_is_kept() -> None:
    tweet = (
        '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">There is no place for hate on our streets and '
        "be in no doubt: anyone who brings violence will face the full force of the law.</p>&mdash; Police Chief "
        '(@chief) <a href="https://twitter.com/chief/status/1">August 3, 2024</a></blockquote>'
    )
    story = "".join(f"<p>{p}</p>" for p in STORY[:3]) + tweet + "".join(f"<p>{p}</p>" for p in STORY[3:6])
    html = f"""<html><head><title>Council votes on budget</title></head><body>
<article><h1>Council votes on budget</h1><div class="article-body">{story}</div></article></body></html>"""
    page = extract_generic(html, "https://news.example/council")
    assert page.body is not None
    assert "There is no place for hate on our streets" in page.body
    assert STORY[0] in page.body and STORY[5] in page.body


def test_a_read_also_list_of_headline_links_is_pruned_but_a_menu_is_left_to_the_extractor() -> None:
    read_also = "".join(
        f'<li><a href="/2024/{n}">Budget: what the new spending plan means for region {n}</a></li>'
        for n in range(3)
    )
    menu = '<li><a href="/">Home</a></li><li><a href="/news">News</a></li>'
    tree = lxml_html.fromstring(_teaser_page(f"<ul>{read_also}</ul><ul>{menu}</ul>"))
    assert prune_teasers(tree) == 1
    assert "what the new spending plan means" not in tree.text_content()
    assert "Home" in tree.text_content()


def test_affiliate_copyright_and_also_on_lines_are_boilerplate() -> None:
    lines = [
        STORY[0],
        "We independently select everything we recommend. Buying through us may earn us a commission.",
        "Copyright © 2015, Example Media, Inc.",
        "Also on rt.com Journalists threatened with arrests as the purge continues",
        "Get the latest news from example.com in your inbox.",
        STORY[1],
    ]
    assert drop_boilerplate_lines(lines) == [STORY[0], STORY[1]]


def test_text_the_page_hides_is_not_extracted_even_without_body_marks() -> None:
    story = "".join(f"<p>{p}</p>" for p in STORY[:5])
    hidden = (
        '<p style="display: none;">Hidden promotional text that a reader never sees on this page at all.</p>'
        '<p hidden="hidden">Hidden promotional text number two, also never shown to any reader of the page.</p>'
    )
    html = f"<html><head><title>Budget</title></head><body><div>{story}{hidden}<p>{STORY[5]}</p></div></body></html>"
    page = extract_generic(html, "https://news.example/council")
    assert page.body is not None and STORY[5] in page.body
    assert "Hidden promotional text" not in page.body
