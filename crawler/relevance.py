"""Is this article about Tajikistan? Transparent, multilingual term rules with canonical labels.

Most sources (regional outlets, the OSCE-wide newsroom) publish far more than Tajikistan news, so every
parsed article passes through ``RelevanceRules.match``. The rules live in ``crawler/rules/relevance.toml``
so that a reader can see (and a user can change per source) exactly why an article was kept: the labels
that matched are stored with the article (``Article.relevance_terms``).

All terms are compiled into a single regular expression (most specific term first) so one pass over the
text finds every mention; Russian and Tajik inflections are handled with stems and ending lists, see
``crawler/rules/__init__.py`` for the syntax.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crawler.rules import RuleSyntaxError, TermSet, load_packaged

_EXCLUDED = object()  # the key of exclusion phrases inside the one compiled term set
ALLOWED_KEYS = ("always", "extra_terms", "exclude", "require_in_title", "groups", "weak")


class RelevanceConfigError(ValueError):
    """A source's relevance configuration is wrong; the message says which key and what is allowed."""


def _label_of(term: str) -> str:
    """The label an extra term is stored under when the config gives no label: the term minus its syntax."""
    label = term.strip().rstrip("*")
    if label.endswith(")") and "(" in label:
        label = label[: label.index("(")]
    return label.strip()


@dataclass(frozen=True)
class RelevanceRules:
    """Which terms make an article relevant, grouped and labelled; immutable and cheap to share.

    ``term_groups`` holds ``(group, label, terms)`` triples; ``groups`` (when not None) restricts
    matching to those group names; ``extra_terms`` are ``(label, term)`` pairs added by a source;
    ``exclude`` phrases never count (their words are masked); ``weak`` labels count only when some other
    label matched too; ``require_in_title`` demands a strong match in the first text passed to ``match``.
    """

    always: bool = False
    term_groups: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    groups: tuple[str, ...] | None = None
    extra_terms: tuple[tuple[str, str], ...] = ()
    exclude: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    require_in_title: bool = False
    _terms: TermSet = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        known = {group for group, _, _ in self.term_groups}
        if self.groups is not None:
            unknown = [g for g in self.groups if g not in known]
            if unknown:
                raise RelevanceConfigError(
                    f"relevance: unknown group(s) {', '.join(map(repr, unknown))}; "
                    f"allowed: {', '.join(sorted(known))}"
                )
        rules: list[tuple[object, str]] = [
            (label, term)
            for group, label, terms in self.term_groups
            if self.groups is None or group in self.groups
            for term in terms
        ]
        rules.extend(self.extra_terms)
        # Exclusions join the same single pass: being longer, "Dushanbe Tea House" wins over "Dushanbe"
        # at the same position and swallows it.
        rules.extend((_EXCLUDED, t) for t in self.exclude)
        try:
            object.__setattr__(self, "_terms", TermSet(rules))
        except RuleSyntaxError as exc:
            raise RelevanceConfigError(f"relevance: {exc}") from None

    @classmethod
    def default(cls) -> RelevanceRules:
        """The packaged rules (crawler/rules/relevance.toml): every group, no extras."""
        data = load_packaged("relevance.toml")
        term_groups = tuple(
            (group, label, tuple(terms))
            for group, labels in data.get("groups", {}).items()
            for label, terms in labels.items()
        )
        return cls(
            term_groups=term_groups,
            weak=tuple(data.get("weak", {}).get("labels", ())),
            exclude=tuple(data.get("exclude", {}).get("terms", ())),
        )

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any] | None) -> RelevanceRules:
        """Per-source rules from the source registry, layered on the packaged defaults.

        Keys: ``always`` (bool), ``require_in_title`` (bool), ``groups`` (list of group names to use),
        ``extra_terms`` (list of terms, or a table label -> list of terms), ``exclude`` (list of phrases,
        added to the packaged ones), ``weak`` (list of labels, added). Anything else is an error.
        """
        base = cls.default()
        if not m:
            return base
        if not isinstance(m, Mapping):
            raise RelevanceConfigError(f"relevance: expected a table of settings, got {type(m).__name__}")
        unknown = [k for k in m if k not in ALLOWED_KEYS]
        if unknown:
            raise RelevanceConfigError(
                f"relevance: unknown key {unknown[0]!r}; allowed keys: {', '.join(ALLOWED_KEYS)}"
            )
        always = _bool(m, "always", base.always)
        require_in_title = _bool(m, "require_in_title", base.require_in_title)
        groups = tuple(_strings(m, "groups")) if "groups" in m else None
        extra: list[tuple[str, str]] = []
        raw_extra = m.get("extra_terms", ())
        if isinstance(raw_extra, Mapping):
            for label, terms in raw_extra.items():
                extra.extend((str(label), t) for t in _strings({"extra_terms": terms}, "extra_terms"))
        else:
            extra.extend((_label_of(t), t) for t in _strings(m, "extra_terms"))
        return cls(
            always=always,
            term_groups=base.term_groups,
            groups=groups,
            extra_terms=tuple(extra),
            exclude=base.exclude + tuple(_strings(m, "exclude")),
            weak=base.weak + tuple(_strings(m, "weak")),
            require_in_title=require_in_title,
        )

    def match(self, *texts: str | None) -> list[str]:
        """Canonical labels mentioned in the texts (title first, then summary, body ...), in order of
        first mention; ``[]`` means not relevant (a source with ``always`` is kept regardless)."""
        labels: dict[str, bool] = {}  # label -> seen in the title
        for index, text in enumerate(texts):
            if not text:
                continue
            for label, _term, _start, _end in self._terms.scan(text):
                if label is _EXCLUDED:
                    continue
                labels[label] = labels.get(label, False) or index == 0
        strong = [label for label in labels if label not in self.weak]
        if not strong:
            return []
        if self.require_in_title and not any(labels[label] for label in strong):
            return []
        return list(labels)

    def is_relevant(self, *texts: str | None) -> bool:
        """Keep the article? True for ``always`` sources, else when ``match`` finds something."""
        return self.always or bool(self.match(*texts))


def _bool(m: Mapping[str, Any], key: str, default: bool) -> bool:
    value = m.get(key, default)
    if not isinstance(value, bool):
        raise RelevanceConfigError(f"relevance: {key!r} must be true or false, got {value!r}")
    return value


def _strings(m: Mapping[str, Any], key: str) -> Sequence[str]:
    value = m.get(key, ())
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RelevanceConfigError(f"relevance: {key!r} must be a list of non-empty strings, got {value!r}")
    return list(value)
