"""Realistic synthetic articles for benchmarks: deterministic by seed, fast enough for a million rows.

Why synthetic: the benchmarks need archives far larger than anything we may store from real sites, with
the properties that make search hard: a Zipf-like word distribution (a few words in nearly every article,
a long tail of rare ones), both English and Russian text, Tajik place names and some Tajik words, lengths
from a short notice to a long report, several sources, tags, and 15 years of dates, mostly arriving in
date order with some backfilled old articles.

Usage from other benchmarks::

    from bench.generate import generate_articles
    for article in generate_articles(100_000, seed=1):
        article.title, article.body, article.published_at, ...
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

# (name, domain, share of articles, language mix: probability of English)
SOURCES = (
    ("osce", "www.osce.org", 0.18, 0.85),
    ("asiaplus", "asiaplustj.info", 0.20, 0.45),
    ("avesta", "avesta.tj", 0.12, 0.20),
    ("khovar", "khovar.tj", 0.10, 0.35),
    ("rferl", "www.rferl.org", 0.12, 0.90),
    ("eurasianet", "eurasianet.org", 0.10, 1.00),
    ("akipress", "akipress.com", 0.08, 0.30),
    ("timesca", "timesca.com", 0.10, 0.95),
)

PLACES_EN = (
    "Dushanbe Khujand Kulob Bokhtar Khorog Istaravshan Panjakent Isfara Vahdat Tursunzoda Hisor Rasht Murghab "
    "Ishkashim Darvoz Vanj Rushan Shahritus Qubodiyon Farkhor Panj Danghara Norak Rogun Sughd Khatlon "
    "Gorno-Badakhshan Zarafshan Varzob Faizobod Tavildara Jirgatol Kanibadam Buston Guliston Spitamen Ayni "
    "Tashkent Bishkek Almaty Astana Kabul Vienna Moscow Osh Batken Vorukh"
).split()
PLACES_RU = (
    "Душанбе Худжанд Куляб Бохтар Хорог Истаравшан Пенджикент Исфара Вахдат Турсунзаде Гиссар Рашт Мургаб "
    "Ишкашим Дарваз Ванч Рушан Шаартуз Кабодиён Фархор Пяндж Дангара Нурек Рогун Согд Хатлон ГБАО Зеравшан "
    "Варзоб Файзабад Тавильдара Джиргиталь Канибадам Бустон Гулистон Спитамен Айни Ташкент Бишкек Алматы "
    "Астана Кабул Вена Москва Ош Баткен Ворух"
).split()
TAJIK = "ҳукумат ҷумҳурӣ вазорат маҷлис қонун ҳамкорӣ сарҳад ободонӣ маориф тандурустӣ ғалла ӯҳдадорӣ".split()

COMMON_EN = (
    "the of and to in a for on with that was by is as at from said has its it be were are an which will "
    "this have also their not been more has would after about who two new other year than over had first "
    "into during up they all but or can one these some three last such between under against while"
).split()
DOMAIN_EN = (
    "OSCE Tajikistan Tajik government ministry border management security police training programme office "
    "officers representatives delegation conference seminar workshop meeting cooperation regional Central "
    "Asia Afghanistan Afghan project support international organization human rights media freedom "
    "journalists elections parliament president Rahmon Emomali minister foreign affairs water energy "
    "hydropower electricity dam gender women youth education health economy trade customs migration "
    "migrants labour remittances corruption reform law legislation court judges prosecutors civil society "
    "NGO donor funding agreement memorandum signed ambassador embassy mission head deputy national local "
    "authorities community communities citizens officials experts participants capacity development "
    "environment climate glacier disaster risk reduction emergency rescue drugs trafficking terrorism "
    "extremism radicalization prevention counter cybersecurity internet freedom assembly religion "
    "anti-corruption good governance rule democratic institutions ODIHR observers monitoring report "
    "recommendations implementation strategy action plan sustainable infrastructure road bridge railway "
    "investment bank loan grant assistance humanitarian refugees displaced persons checkpoint crossing "
    "patrol equipment handover ceremony graduates academy college university students teachers schools "
    "hospital vaccination pandemic COVID-19 drought flood earthquake mudflow harvest cotton wheat "
    "aluminium TALCO Barki Tojik electricity exports Chinese Russian Uzbek Kyrgyz Kazakh Afghan Pamiri "
    "Ismaili community village district province region city capital valley river Panj Vakhsh Amu Darya "
    "Syr Lake Sarez Pamir mountains"
).split()
COMMON_RU = (
    "и в на с по не что для о к из от за это как а также был была были его их при до после все его "
    "он она они года году который которые этом том более между под над со во ее уже только может"
).split()
DOMAIN_RU = (
    "ОБСЕ Таджикистан таджикский правительство министерство граница пограничный безопасность милиция "
    "обучение программа офис сотрудники представители делегация конференция семинар встреча "
    "сотрудничество региональный Центральная Азия Афганистан проект поддержка международный организация "
    "права человека свобода СМИ журналисты выборы парламент президент Рахмон министр иностранных дел вода "
    "энергетика ГЭС электроэнергия плотина гендер женщины молодежь образование здравоохранение экономика "
    "торговля таможня миграция мигранты трудовые денежные переводы коррупция реформа закон суд судьи "
    "прокуратура гражданское общество донор финансирование соглашение меморандум подписан посол посольство "
    "миссия глава заместитель национальный местные власти граждане эксперты участники развитие экология "
    "климат ледник стихийное бедствие снижение риска спасатели наркотики незаконный оборот терроризм "
    "экстремизм радикализация профилактика кибербезопасность интернет собрания религия управление "
    "демократические институты наблюдатели мониторинг доклад рекомендации реализация стратегия план "
    "устойчивое инфраструктура дорога мост железная дорога инвестиции банк кредит грант помощь "
    "гуманитарная беженцы перемещенные лица пункт пропуска патруль оборудование передача церемония "
    "выпускники академия колледж университет студенты учителя школы больница вакцинация пандемия засуха "
    "наводнение землетрясение сель урожай хлопок пшеница алюминий ТАЛКО Барки Точик экспорт Китай Россия "
    "Узбекистан Кыргызстан Казахстан Памир село район область город столица долина река Пяндж Вахш"
).split()

TAGS = (
    "border-management", "human-rights", "media-freedom", "elections", "water", "energy", "security",
    "gender", "youth", "education", "health", "economy", "migration", "anti-corruption", "environment",
    "disaster-risk", "counter-terrorism", "drugs", "cybersecurity", "religion", "afghanistan",
    "regional-cooperation", "rule-of-law", "police", "customs", "civil-society", "infrastructure",
    "agriculture", "osce-chairmanship", "odihr",
)  # fmt: skip

START = dt.datetime(2011, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = 15 * 365 * 86400


@dataclass(slots=True)
class GeneratedArticle:
    """One article, shaped like ``storage.records.ArticleRecord`` (plus its sequence number)."""

    seq: int
    canonical_url: str
    url: str
    source: str
    title: str
    body: str
    content_hash: str
    published_at: dt.datetime | None
    language: str
    tags: list[str] = field(default_factory=list)
    summary: str | None = None


SYLLABLES_EN = (
    ("Rah", "Sai", "Nur", "Kar", "Dav", "Sha", "Kho", "Mir", "Ism", "Ash", "Zar", "Ali", "Jum", "Saf", "Fay",
     "Bob", "Gul", "Hak", "Naz", "Qod", "Tol", "Umar", "Vak", "Yus", "Zuh", "Fir", "Man", "Sob", "Tur", "Odi"),
    ("im", "ov", "id", "ul", "ar", "od", "ur", "ah", "oz", "ib", "un", "ak"),
    ("ov", "ova", "zoda", "iyon", "ev", "bek", "shoh", "jon"),
)  # fmt: skip
SYLLABLES_RU = (
    ("Рах", "Саи", "Нур", "Кар", "Дав", "Ша", "Хо", "Мир", "Исм", "Аш", "Зар", "Али", "Джум", "Саф", "Фай",
     "Боб", "Гул", "Хак", "Наз", "Кад", "Тол", "Умар", "Вак", "Юс", "Зух", "Фир", "Ман", "Соб", "Тур", "Оди"),
    ("им", "ов", "ид", "ул", "ар", "од", "ур", "ах", "оз", "иб", "ун", "ак"),
    ("ов", "ова", "зода", "иён", "ев", "бек", "шох", "джон"),
)  # fmt: skip
RARE_SHARE = 0.03  # share of tokens drawn from the long tail of names

# Word forms, written from the grammars (not produced by our stemmer, so the recall bench is a real test):
# a vocabulary word listed here is written as one of its forms, chosen uniformly. English: plural and
# verb forms; Russian: the case paradigm (singular and plural); Tajik: plural -ҳо/-он, izofat -и, object -ро.
# The first form is the dictionary form a user would type.
INFLECTIONS: dict[str, tuple[str, ...]] = {
    "officers": ("officer", "officers"),
    "border": ("border", "borders"),
    "elections": ("election", "elections"),
    "migrants": ("migrant", "migrants"),
    "journalists": ("journalist", "journalists"),
    "meeting": ("meeting", "meetings"),
    "seminar": ("seminar", "seminars"),
    "agreement": ("agreement", "agreements"),
    "river": ("river", "rivers"),
    "court": ("court", "courts"),
    "reform": ("reform", "reforms", "reformed", "reforming"),
    "signed": ("sign", "signs", "signed", "signing"),
    "граница": ("граница", "границы", "границе", "границу", "границей", "границ", "границам", "границами",
                "границах"),
    "выборы": ("выборы", "выборов", "выборам", "выборами", "выборах"),
    "мигранты": ("мигрант", "мигранта", "мигранту", "мигрантом", "мигранте", "мигранты", "мигрантов",
                 "мигрантам", "мигрантами", "мигрантах"),
    "правительство": ("правительство", "правительства", "правительству", "правительством", "правительстве"),
    "встреча": ("встреча", "встречи", "встрече", "встречу", "встречей", "встреч", "встречам", "встречами",
                "встречах"),
    "журналисты": ("журналист", "журналиста", "журналисту", "журналистом", "журналисте", "журналисты",
                   "журналистов", "журналистам", "журналистами", "журналистах"),
    "семинар": ("семинар", "семинара", "семинару", "семинаром", "семинаре", "семинары", "семинаров",
                "семинарах"),
    "женщины": ("женщина", "женщины", "женщине", "женщину", "женщиной", "женщин", "женщинам", "женщинами",
                "женщинах"),
    "закон": ("закон", "закона", "закону", "законом", "законе", "законы", "законов", "законам", "законами",
              "законах"),
    "сотрудничество": ("сотрудничество", "сотрудничества", "сотрудничеству", "сотрудничеством",
                       "сотрудничестве"),
    "ҳукумат": ("ҳукумат", "ҳукумати", "ҳукуматҳо", "ҳукуматро"),
    "сарҳад": ("сарҳад", "сарҳадҳо", "сарҳади", "сарҳадҳои", "сарҳадро"),
    "қонун": ("қонун", "қонуни", "қонунҳо", "қонунро"),
    "маҷлис": ("маҷлис", "маҷлиси", "маҷлисҳо"),
}  # fmt: skip
FORM_SLOTS = 10  # columns of the forms table: every word's forms repeated to this width


def _zipf(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    return np.cumsum(weights / weights.sum())


class _Vocabulary:
    """Zipf-like words (function words, domain terms, places) plus a long tail of rare personal names.

    The tail (2,880 names per language, Zipf-weighted) gives queries whose matches range from a few
    percent of the archive down to a few hundred articles in a million.
    """

    def __init__(self, common: list[str], domain: list[str], places: list[str], syllables: tuple) -> None:
        self.words = np.array(common + domain + places, dtype=object)
        self.forms = np.array(
            [[_forms(w)[k % len(_forms(w))] for k in range(FORM_SLOTS)] for w in self.words], dtype=object
        )
        self.cdf = _zipf(len(self.words), 1.07)
        tail = [a + b + c for a in syllables[0] for b in syllables[1] for c in syllables[2]]
        rng = np.random.default_rng(7)
        rng.shuffle(tail)
        self.tail = np.array(tail, dtype=object)
        self.tail_cdf = _zipf(len(self.tail), 1.0)
        self.titles = np.array(domain + places + domain, dtype=object)
        self.places = places

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        idx = np.searchsorted(self.cdf, rng.random(size), side="right").clip(0, len(self.words) - 1)
        words = self.forms[idx, rng.integers(0, FORM_SLOTS, size=size)]
        rare = rng.random(size) < RARE_SHARE
        count = int(rare.sum())
        if count:
            idx = np.searchsorted(self.tail_cdf, rng.random(count), side="right").clip(0, len(self.tail) - 1)
            words[rare] = self.tail[idx]
        return words


def _forms(word: str) -> tuple[str, ...]:
    return INFLECTIONS.get(word, (word,))


def _vocabularies() -> dict[str, _Vocabulary]:
    rng = np.random.default_rng(12345)  # fixed: the vocabulary order must not depend on the article seed
    en_domain = list(DOMAIN_EN)
    ru_domain = list(DOMAIN_RU)
    rng.shuffle(en_domain)
    rng.shuffle(ru_domain)
    return {
        "en": _Vocabulary(list(COMMON_EN), en_domain, list(PLACES_EN), SYLLABLES_EN),
        "ru": _Vocabulary(list(COMMON_RU), ru_domain + list(TAJIK), list(PLACES_RU), SYLLABLES_RU),
    }


def _sentences(words: np.ndarray, rng: np.random.Generator) -> str:
    """Join words into sentences of 8-24 words, capitalised and full-stopped."""
    out: list[str] = []
    i, n = 0, len(words)
    lengths = rng.integers(8, 25, size=n // 8 + 2)
    k = 0
    while i < n:
        chunk = words[i : i + int(lengths[k])]
        k += 1
        i += len(chunk)
        sentence = " ".join(chunk)
        out.append(sentence[:1].upper() + sentence[1:] + ".")
    return " ".join(out)


def generate_articles(n: int, seed: int = 0, *, start: int = 0) -> Iterator[GeneratedArticle]:
    """Yield articles ``start`` .. ``n - 1`` for this seed (the same seed always gives the same text).

    Lengths follow a log-normal between 80 and 1500 words (median ~350); ~60% English, ~40% Russian;
    published dates rise with the sequence number over 15 years, 3% are backfilled old articles, 1% have
    no date.
    """
    vocab = _vocabularies()
    names = [s[0] for s in SOURCES]
    shares = np.array([s[2] for s in SOURCES])
    shares = shares / shares.sum()
    batch = 2000
    for block_start in range(start - start % batch, n, batch):
        rng = np.random.default_rng([seed, block_start])  # blocks are independent: any start is cheap
        size = min(batch, n - block_start)
        source_idx = rng.choice(len(names), size=size, p=shares)
        english = rng.random(size) < np.array([SOURCES[i][3] for i in source_idx]) * 1.0
        lengths = np.clip(rng.lognormal(np.log(350), 0.6, size=size), 80, 1500).astype(int)
        position = (block_start + np.arange(size) + rng.random(size)) / max(n, 1)
        backfill = rng.random(size) < 0.03
        position = np.where(backfill, rng.random(size) * position, position)
        undated = rng.random(size) < 0.01
        for j in range(size):
            seq = block_start + j
            if seq < start:
                continue
            lang = "en" if english[j] else "ru"
            v = vocab[lang]
            words = v.draw(rng, int(lengths[j]))
            place = v.places[int(rng.integers(len(v.places)))]
            topic = v.titles[rng.integers(0, len(v.titles), size=int(rng.integers(4, 9)))]
            title = place + ": " + " ".join(topic)
            title = title[0].upper() + title[1:]
            body = _sentences(words, rng)
            source = names[source_idx[j]]
            domain = SOURCES[source_idx[j]][1]
            published = None if undated[j] else START + dt.timedelta(seconds=int(position[j] * SPAN_SECONDS))
            year = published.year if published else 2026
            n_tags = int(rng.integers(0, 4))
            tags = sorted({TAGS[int(t)] for t in rng.integers(0, len(TAGS), size=n_tags)})
            url = f"https://{domain}/{lang}/news/{year}/{seq}-{'-'.join(title.split()[:4]).lower()}"
            yield GeneratedArticle(
                seq=seq,
                canonical_url=url,
                url=url,
                source=source,
                title=title,
                body=body,
                content_hash=hashlib.blake2b(body.encode(), digest_size=16).hexdigest(),
                published_at=published,
                language=lang,
                tags=tags,
            )


def main() -> None:  # pragma: no cover - a peek at the data
    import argparse

    parser = argparse.ArgumentParser(description="Print a few generated articles.")
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for article in generate_articles(args.n, args.seed):
        print(article.seq, article.source, article.language, article.published_at, article.tags)
        print("  ", article.title)
        print("  ", article.body[:300], f"... ({len(article.body.split())} words)")


if __name__ == "__main__":
    main()
