"""Tagging articles with the OSCE's fields of work, by transparent keyword rules.

OSCE pages declare their fields of work; those are kept (normalised to the canonical label). Every
other article gets tags from ``crawler/rules/tags.toml``: English, Russian and some Tajik terms per
field, and a threshold (``min_hits`` occurrences of at least ``min_distinct`` different words in title +
body, or ``title_hits`` in the title alone) so that a passing mention, or one stock phrase repeated
("economic and environmental dimension"), does not tag. ``Tagger.explain``
shows users which rule terms produced each tag, so a wrong tag can be traced to a rule and fixed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crawler.rules import RuleSyntaxError, TermSet, load_packaged

SETTINGS = ("min_hits", "title_hits", "min_distinct")
TOP_KEYS = (*SETTINGS, "tags", "replace_default")
TAG_KEYS = ("terms", "extra_terms", "aliases", "enabled")
_NOT_ALNUM = re.compile(r"[\W_]+")


class TaggingConfigError(ValueError):
    """The tagging rules are wrong; the message names the key or term and what is allowed."""


def label_key(label: str) -> str:
    """Spelling-insensitive key of a field-of-work label ("co-operation" == "cooperation")."""
    return _NOT_ALNUM.sub("", label.casefold())


@dataclass(frozen=True)
class TagRule:
    """One field of work: its canonical label, other spellings of the label, and its keyword terms."""

    label: str
    terms: tuple[str, ...]
    aliases: tuple[str, ...] = ()


class Tagger:
    """Assigns canonical field-of-work labels; build once (compiling the rules), use for every article."""

    def __init__(
        self, rules: Sequence[TagRule], *, min_hits: int = 2, title_hits: int = 1, min_distinct: int = 2
    ) -> None:
        for name, value in (
            ("min_hits", min_hits),
            ("title_hits", title_hits),
            ("min_distinct", min_distinct),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise TaggingConfigError(f"tagging: {name} must be a whole number >= 1, got {value!r}")
        self.rules = tuple(rules)
        self.min_hits, self.title_hits, self.min_distinct = min_hits, title_hits, min_distinct
        self._order = {rule.label: i for i, rule in enumerate(self.rules)}
        self._canonical: dict[str, str] = {}
        for rule in self.rules:
            for spelling in (rule.label, *rule.aliases):
                self._canonical.setdefault(label_key(spelling), rule.label)
        try:
            self._terms = TermSet((rule.label, term) for rule in self.rules for term in rule.terms)
        except RuleSyntaxError as exc:
            raise TaggingConfigError(f"tagging: {exc}") from None

    @classmethod
    def default(cls) -> Tagger:
        """The packaged rules: the OSCE's 23 fields of work (crawler/rules/tags.toml)."""
        return cls.from_mapping({})

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> Tagger:
        """Rules from configuration, laid over the packaged ones unless ``replace_default = true``.

        Keys: ``min_hits``, ``title_hits``, ``min_distinct`` (numbers) and ``tags``, a table of label ->
        ``{terms = [...]}`` (replaces that label's terms), ``extra_terms`` (adds), ``aliases`` (adds),
        ``enabled = false`` (drops the label). Unknown keys are errors naming what is allowed.
        """
        m = m or {}
        if not isinstance(m, Mapping):
            raise TaggingConfigError(f"tagging: expected a table of settings, got {type(m).__name__}")
        _check_keys(m, TOP_KEYS, "tagging")
        replace = m.get("replace_default", False)
        if not isinstance(replace, bool):
            raise TaggingConfigError(f"tagging: 'replace_default' must be true or false, got {replace!r}")
        packaged = {} if replace else load_packaged("tags.toml")
        settings = {k: packaged[k] for k in SETTINGS if k in packaged}
        settings.update({k: m[k] for k in SETTINGS if k in m})
        rules: dict[str, TagRule] = {}
        for label, spec in packaged.get("tags", {}).items():
            rules[label] = TagRule(label, tuple(spec.get("terms", ())), tuple(spec.get("aliases", ())))
        overrides = m.get("tags", {})
        if not isinstance(overrides, Mapping):
            raise TaggingConfigError("tagging: 'tags' must be a table of label -> {terms = [...]}")
        by_key = {label_key(label): label for label in rules}
        for label, spec in overrides.items():
            if not isinstance(spec, Mapping):
                raise TaggingConfigError(
                    f"tagging: tags.{label!r} must be a table with keys {', '.join(TAG_KEYS)}"
                )
            _check_keys(spec, TAG_KEYS, f"tagging: tags.{label}")
            label = by_key.get(label_key(label), label)
            old = rules.get(label, TagRule(label, ()))
            if spec.get("enabled", True) is False:
                rules.pop(label, None)
                continue
            terms = _strings(spec, "terms", label) if "terms" in spec else old.terms
            terms += _strings(spec, "extra_terms", label)
            rules[label] = TagRule(label, terms, old.aliases + _strings(spec, "aliases", label))
        return cls(list(rules.values()), **settings)

    @property
    def labels(self) -> list[str]:
        """Every canonical label, in rule-file order."""
        return [rule.label for rule in self.rules]

    def canonical(self, label: str) -> str:
        """The canonical spelling of a declared field of work; unknown labels come back trimmed."""
        cleaned = " ".join(label.split())
        return self._canonical.get(label_key(cleaned), cleaned)

    def tags(self, title: str, body: str, declared: Sequence[str] = ()) -> list[str]:
        """Declared fields (canonical spelling, as given order) followed by the fields the rules find."""
        result = [self.canonical(d) for d in declared if d and d.strip()]
        result.extend(self.explain(title, body))
        return list(dict.fromkeys(result))

    def explain(self, title: str, body: str) -> dict[str, list[str]]:
        """Tag -> the rule terms that fired (as written in the rules), for the tags the rules assign."""
        in_title: dict[str, int] = {}
        hits: dict[str, int] = {}
        forms: dict[str, set[str]] = {}
        terms: dict[str, dict[str, None]] = {}
        for is_title, text in ((True, title or ""), (False, body or "")):
            lowered = text.lower()
            for label, term, start, end in self._terms.scan(text):
                if is_title:
                    in_title[label] = in_title.get(label, 0) + 1
                hits[label] = hits.get(label, 0) + 1
                forms.setdefault(label, set()).add(" ".join(lowered[start:end].split()))
                terms.setdefault(label, {})[term] = None
        chosen = [
            label
            for label in terms
            if in_title.get(label, 0) >= self.title_hits
            or (hits[label] >= self.min_hits and len(forms[label]) >= self.min_distinct)
        ]
        chosen.sort(key=self._order.__getitem__)
        return {label: list(terms[label]) for label in chosen}


def _check_keys(m: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    unknown = [k for k in m if k not in allowed]
    if unknown:
        raise TaggingConfigError(f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(allowed)}")


def _strings(spec: Mapping[str, Any], key: str, label: str) -> tuple[str, ...]:
    value = spec.get(key, ())
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TaggingConfigError(
            f"tagging: tags.{label}.{key} must be a list of non-empty strings, got {value!r}"
        )
    return tuple(value)
