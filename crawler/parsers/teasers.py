"""Teasers of other stories, recognised by their shape and taken out of the page before extraction.

A teaser is a small card that points somewhere else: a headline link over a sentence or two ("Other opinion
columns", "More from the author", the next stories of a section), or a whole block wrapped in one link.
Their text reads like prose, so text-level filters keep them; their structure gives them away:

* a link wrapping paragraphs or a heading with a summary (a card that is one big link), and
* two or more sibling cards, each a short block whose heading is (or holds) a link, and
* a list whose every item is a headline-length link ("read also" lists inside the body).

The body container itself is never pruned, nor anything holding it: a teaser rule must not swallow the
article it sits in.
"""

from __future__ import annotations

from lxml.etree import _Element

__all__ = ["prune_teasers"]

_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
_BLOCKS = frozenset({"p", "div", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article"})
_CARD_TAGS = frozenset({"li", "article", "div", "section"})
_MAX_CARD_CHARS = 400  # a teaser is a headline and a sentence or two; more is a section of the article
_MIN_LINK_CARD_CHARS = 40
_MIN_HEADLINE_CHARS = 25  # shorter linked items are menus and tag lists (trafilatura drops those itself)
_MIN_LINKED_SHARE = 0.8  # a link around a short label (a button, an image credit) is not a card


def prune_teasers(tree: _Element, keep: list[_Element] | None = None) -> int:
    """Remove teaser cards from ``tree`` in place; returns how many were removed.

    ``keep``: elements (the marked body) that must survive together with their ancestors.
    """
    protected: set[int] = set()
    for element in keep or []:
        protected.add(id(element))
        protected.update(id(a) for a in element.iterancestors())
    doomed: list[_Element] = []
    for link in tree.iter("a"):
        if id(link) not in protected and _is_link_card(link):
            doomed.append(link)
    for parent in tree.iter():
        if not isinstance(parent.tag, str) or len(parent) < 2:
            continue
        if parent.tag in ("ul", "ol") and id(parent) not in protected and _is_headline_list(parent):
            doomed.append(parent)
            continue
        cards = [child for child in parent if isinstance(child.tag, str) and _is_card(child)]
        if len(cards) >= 2:
            doomed.extend(card for card in cards if id(card) not in protected)
    removed = 0
    for element in doomed:
        if _detach(element):
            removed += 1
    return removed


def _points_elsewhere(link: _Element) -> bool:
    href = (link.get("href") or "").strip()
    return bool(href) and not href.startswith(("#", "javascript:"))


def _is_link_card(link: _Element) -> bool:
    """A link wrapping block content with some text: a whole card is clickable."""
    if not _points_elsewhere(link):
        return False
    if not any(isinstance(d.tag, str) and d.tag in _BLOCKS for d in link.iterdescendants()):
        return False
    return len(" ".join(link.text_content().split())) >= _MIN_LINK_CARD_CHARS


def _is_card(element: _Element) -> bool:
    """A short block whose heading is a link to another page (or sits in one)."""
    if element.tag not in _CARD_TAGS:
        return False
    heading = next(element.iter(*_HEADINGS), None)
    if heading is None:
        return False
    linked = any(_points_elsewhere(a) for a in heading.iter("a")) or any(
        a.tag == "a" and _points_elsewhere(a) for a in heading.iterancestors()
    )
    if not linked:
        return False
    return len(" ".join(element.text_content().split())) <= _MAX_CARD_CHARS


def _is_headline_list(element: _Element) -> bool:
    """A list whose every item is a headline-length link to another page ("more on this", "read also")."""
    items = [li for li in element if isinstance(li.tag, str) and li.tag == "li"]
    if len(items) < 2 or len(items) != len([c for c in element if isinstance(c.tag, str)]):
        return False
    for item in items:
        text = " ".join(item.text_content().split())
        links = [a for a in item.iter("a") if _points_elsewhere(a)]
        linked = sum(len(" ".join(a.text_content().split())) for a in links)
        if len(text) < _MIN_HEADLINE_CHARS or not links or linked < _MIN_LINKED_SHARE * len(text):
            return False
    return True


def _detach(element: _Element) -> bool:
    """Remove ``element`` (if still in a tree), keeping its tail text with the parent."""
    parent = element.getparent()
    if parent is None:
        return False
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
    return True
