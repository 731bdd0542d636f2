"""Where a page keeps its article body: the containers it marks as such, merged when split.

Publishers mark their body for search engines and their own CSS: ``itemprop="articleBody"``, a CMS
container class (``entry-content``, ``article__body``, ``story-body``...) or an ``<article>`` element.
These marks are the most reliable signal a generic extractor has for judging a candidate body (a fixed
"looks short" length cannot tell a 260-character rights notice from a short news item). Some layouts cut
the body into sibling containers of the same kind around an advert or a newsletter box; the reader sees
one article, so the containers are merged back, in document order.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html
from lxml.etree import _Element

__all__ = ["BodyContainer", "drop_hidden", "find_body", "focus_document"]

# A class or id token (lower-cased, '-' and '_' removed) that names an article body. Checked per token so
# that "article-body-footer" or "post-content-related" do not count.
_BODY_TOKEN_RE = re.compile(
    r"^(?:[a-z]+)?(?:article|story|post|entry|news|blog|single|main|text|page|art)(?:[a-z]{0,8}?)"
    r"(?:body|content|text|copy|inner)(?:wrapper|container|inner|main|v\d)?$"
    r"|^(?:articlebody|bodytext|bodycopy|contentbody|richtext|wysiwyg|textcontent|fieldbody|fieldnamebody)$"
)
_NOT_BODY_TOKEN_RE = re.compile(
    r"related|teaser|header|footer|meta|caption|sidebar|comment|share|social|promo|newsletter|"
    r"author|byline|tags|banner|nav|menu|breadcrumb|summary|intro|lead|title|gallery|list|image|photo|"
    r"video|media|figure|embed|ad|info|box|card|aside|bottom|top|footnote|subscribe|paywall"
)
_TEXT_TAGS = frozenset({"p", "h2", "h3", "h4", "h5", "li", "blockquote", "pre", "td", "dd"})
_MIN_BODY_CHARS = 200  # a container with less prose than this is a teaser or a widget, not the body
_MAX_MERGE_DISTANCE = 3  # levels up to the common ancestor of two split halves of one body
_TIGHTER_SHARE = 0.85  # a marked container inside the best one wins if it holds this share of the prose


@dataclass(slots=True)
class BodyContainer:
    """The element(s) a page marks as its article body, in document order, and how it marks them."""

    elements: list[_Element]
    signal: str  # "itemprop", "class" or "article"
    prose_chars: int  # characters of paragraph text outside links, over all elements

    def text(self) -> str:
        """The containers' paragraph text, one block per line (a reference, not the extracted body)."""
        return "\n".join(_block_texts(self.elements))


def find_body(tree: _Element) -> BodyContainer | None:
    """The best-marked body container of ``tree`` with its split siblings, or None if nothing is marked.

    Among marked candidates the one with the most prose wins; a marked descendant holding nearly all of
    that prose is preferred (tighter, fewer widgets). Strength of the mark breaks near-ties.
    """
    candidates: list[tuple[int, int, list[_Element], str]] = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        signal = _signal(element)
        if signal is None:
            continue
        group = _with_split_siblings(element) if signal == "class" else [element]
        if group[0] is not element and any(element is g for c in candidates for g in c[2]):
            continue  # a later half of a group already counted
        prose = sum(_prose_chars(e) for e in group)
        if prose >= _MIN_BODY_CHARS:
            candidates.append((prose, _STRENGTH[signal], group, signal))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    prose, _, best, signal = candidates[0]
    for other_prose, _, other, other_signal in candidates[1:]:
        if other_prose >= _TIGHTER_SHARE * prose and all(_is_inside(e, best) for e in other):
            prose, best, signal = other_prose, other, other_signal
    return BodyContainer(best, signal, prose)


def focus_document(container: BodyContainer) -> lxml_html.HtmlElement:
    """A fresh page holding only copies of the container(s): what the extractor should look at."""
    root = lxml_html.Element("html")
    body = etree.SubElement(root, "body")
    article = etree.SubElement(body, "article")
    text = etree.SubElement(article, "div")  # one container even for split halves: extractors take one
    for element in container.elements:
        clone = copy.deepcopy(element)
        if clone.text and clone.text.strip():
            etree.SubElement(text, "p").text = clone.text
        for child in clone:
            if not (isinstance(child.tag, str) and _hidden(child)):
                text.append(child)
    for hidden in [e for e in text.iter() if isinstance(e.tag, str) and _hidden(e)]:
        _drop(hidden)
    return root


def drop_hidden(tree: _Element) -> None:
    """Remove blocks the page hides from readers (``hidden`` attribute, inline ``display:none``)."""
    for hidden in [e for e in tree.iter() if isinstance(e.tag, str) and _hidden_by_style(e)]:
        _drop(hidden)


def _hidden_by_style(element: _Element) -> bool:
    """Hidden for sure: not ``aria-hidden``, which pages also put on visible decorative wrappers."""
    if element.tag in ("html", "body"):
        return False
    return element.get("hidden") is not None or bool(_HIDDEN_STYLE_RE.search(element.get("style") or ""))


def _drop(element: _Element) -> None:
    """Remove ``element`` but keep its tail text (which belongs to the parent)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")


def _hidden(element: _Element) -> bool:
    """Not shown to readers: the ``hidden`` attribute, ``aria-hidden``, or an inline style hiding it."""
    return (
        element.get("hidden") is not None
        or (element.get("aria-hidden") or "").lower() == "true"
        or bool(_HIDDEN_STYLE_RE.search(element.get("style") or ""))
    )


_STRENGTH = {"itemprop": 3, "class": 2, "article": 1}


def _signal(element: _Element) -> str | None:
    if (element.get("itemprop") or "").lower() == "articlebody":
        return "itemprop"
    tokens = f"{element.get('class') or ''} {element.get('id') or ''}".lower().split()
    for token in tokens:
        squashed = token.replace("-", "").replace("_", "")
        if _BODY_TOKEN_RE.match(squashed) and not _NOT_BODY_TOKEN_RE.search(squashed):
            return "class"
    if element.tag == "article":
        return "article"
    return None


def _prose_chars(element: _Element) -> int:
    """Characters of text in paragraph-like blocks, minus their link text (teaser lists are all links)."""
    total = 0
    for block in element.iter(*_TEXT_TAGS):
        if any(a.tag in _TEXT_TAGS for a in block.iterancestors() if a is not element):
            continue  # counted with its outer block
        text = block.text_content()
        links = sum(len(a.text_content()) for a in block.iter("a"))
        total += max(0, len(" ".join(text.split())) - links)
    if total == 0:  # bare text in <div>s and <br>s, no paragraphs
        total = len(" ".join((element.text_content() or "").split())) // 2
    return total


def _block_texts(elements: list[_Element]) -> list[str]:
    out: list[str] = []
    for element in elements:
        for block in element.iter(*_TEXT_TAGS):
            if any(a.tag in _TEXT_TAGS for a in block.iterancestors() if a is not element):
                continue
            text = " ".join(block.text_content().split())
            if text:
                out.append(text)
    return out


def _is_ancestor(ancestor: _Element, element: _Element) -> bool:
    return any(a is ancestor for a in element.iterancestors())


def _enclosing_article(element: _Element) -> _Element | None:
    return next(element.iterancestors("article"), None)


def _is_inside(element: _Element, group: list[_Element]) -> bool:
    """``element`` is strictly inside one of ``group`` (a tighter mark of the same body)."""
    return any(_is_ancestor(g, element) for g in group)


def _with_split_siblings(best: _Element) -> list[_Element]:
    """``best`` plus the same-kind containers a layout split it into, in document order.

    Same kind: same tag and same class attribute, neither inside the other, with a common ancestor at
    most a few levels up (the halves of one article sit side by side, not in another page region).
    """
    klass = best.get("class")
    if not klass:
        return [best]
    ancestors = [best, *list(best.iterancestors())[:_MAX_MERGE_DISTANCE]]
    scope = ancestors[-1]
    story = _enclosing_article(best)
    siblings = [
        e
        for e in scope.iter(best.tag)
        if e.get("class") == klass
        and (e is best or not (_is_ancestor(e, best) or _is_ancestor(best, e)))
        and _enclosing_article(e) is story  # infinite-scroll pages stack whole articles side by side
    ]
    outermost = [e for e in siblings if not any(_is_ancestor(o, e) for o in siblings if o is not e)]
    kept = [e for e in outermost if e is best or _prose_chars(e) > 0]
    return kept if best in kept else [best]
