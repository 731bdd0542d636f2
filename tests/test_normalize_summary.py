"""Text glitches seen in digests and pages, fixed once for every source (crawler.normalize.summary)."""

from __future__ import annotations

from crawler.items import ParsedPage
from crawler.normalize import normalize_page
from crawler.normalize.summary import clean_summary, decode_entities, drop_repeated_lead

BODY = (
    "The OSCE Programme Office in Dushanbe organized a training course for border officers. "
    "Twenty officers from the Border Troops took part in the five-day course.\n\n"
    "The course covered risk analysis and document security."
)


def test_entities_are_decoded_once() -> None:
    assert decode_entities("Пешвои миллат мулоқот карданд. [&#8230;]") == "Пешвои миллат мулоқот карданд. […]"
    assert decode_entities("R&amp;D &amp;amp; more") == "R&D &amp; more"  # once, not twice
    assert decode_entities("AT&T and B&B") == "AT&T and B&B"


def test_khovar_feed_summary_reads_without_entities() -> None:
    page = ParsedPage(
        url="https://khovar.tj/2024/09/x/",
        title="Пешвои миллат бо Котиби генералии САҲА мулоқот кард",
        body="ДУШАНБЕ, 23.09.2024 /АМИТ «Ховар»/. Пешвои миллат бо Котиби генералии САҲА мулоқот карданд. "
        "Дар мулоқот вазъи ҳамкориҳо баррасӣ шуд.",
        summary="ДУШАНБЕ, 23.09.2024 /АМИТ «Ховар»/. Пешвои миллат мулоқот карданд. [&#8230;]",
    )
    record = normalize_page(page, source="khovar")
    assert record.summary is not None and "&#8230;" not in record.summary and "[…]" in record.summary


def test_a_meta_description_cut_mid_word_ends_at_a_word_with_an_ellipsis() -> None:
    cut = "The OSCE Programme Office in Dushanbe organized a training course for border offi"
    assert clean_summary(cut, "Border course", BODY) == (
        "The OSCE Programme Office in Dushanbe organized a training course for border…"
    )
    two = BODY.split("\n\n")[0][:120]  # a whole first sentence, then a cut word
    assert clean_summary(two, "Border course", BODY) == (
        "The OSCE Programme Office in Dushanbe organized a training course for border officers."
    )
    own = "A course for border officers, with twenty participants"  # not the body's start: left alone
    assert clean_summary(own, "Border course", BODY) == own


def test_a_summary_equal_to_the_title_gives_way_to_the_first_sentences() -> None:
    title = "Training course for border officers in Dushanbe"
    summary = clean_summary("Training course for border officers in Dushanbe.", title, BODY)
    assert summary.startswith("The OSCE Programme Office in Dushanbe organized")


def test_a_lead_repeating_the_first_paragraph_is_dropped() -> None:
    lead = "The OSCE Programme Office in Dushanbe organized a training course for border officers."
    assert drop_repeated_lead(f"{lead}\n\n{BODY}") == BODY
    assert drop_repeated_lead(BODY) == BODY
