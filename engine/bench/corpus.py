"""Generated documents for the benchmark: seeded, so a rerun on any machine builds the same books.

The text is made from a fixed vocabulary (topic words, everyday words, names, numbers) by sentence templates,
so it reads like plain technical prose with varied words per book: BM25 and the embedder see realistic term
statistics without the project shipping anyone's book. Books have chapters and sections with an outline and a
running footer, like real manuals.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

TOPICS = {
    "harbour": "harbour pier vessel tide cargo crane dock berth quay pilot ferry warehouse",
    "railway": "railway locomotive signal platform timetable carriage junction track station freight boiler brake",
    "garden": "garden soil seedling compost orchard hedge pruning blossom greenhouse mulch trellis irrigation",
    "kitchen": "kitchen oven dough broth spice recipe skillet pantry ferment butter vinegar pastry",
    "observatory": "observatory telescope comet orbit lens eclipse meridian star catalogue parallax dome spectrum",
    "library": "library manuscript archive catalogue binding folio index reader shelf ledger edition scribe",
    "mill": "mill waterwheel grain millstone sluice flour gear shaft weir hopper sack miller",
    "clinic": "clinic patient dosage symptom ward nurse remedy fever pulse bandage diagnosis tincture",
    "network": "network router packet protocol latency socket handshake bandwidth buffer checksum gateway cable",
    "compiler": "compiler parser token grammar register optimizer linker symbol bytecode pointer template namespace",
    "database": "database table index query transaction cursor schema journal replica column lock snapshot",
    "weather": "weather barometer rainfall frost humidity gale forecast cloud pressure drought thermometer monsoon",
    "mine": "mine shaft ore tunnel lantern seam pump timber vein smelter cart quarry",
    "textile": "textile loom spindle wool dye thread shuttle weaver fabric bobbin pattern cotton",
    "bridge": "bridge arch girder cable truss pier span rivet abutment load tension keystone",
    "orchestra": "orchestra violin conductor score rehearsal tempo overture cello harmony chorus brass concerto",
    "forest": "forest timber canopy fungus ranger sapling resin bark clearing lichen undergrowth beech",
    "bakery": "bakery yeast flour loaf crust rye proof oven sourdough starter baker tray",
    "river": "river delta estuary current bank flood channel ford silt meander barge lock",
    "school": "school lesson teacher pupil exam syllabus chalk timetable lecture essay term headmaster",
    "printing": "printing press type ink proof compositor plate paper margin typeface folio galley",
    "brewery": "brewery malt hops barley cask wort fermentation cellar vat brewer keg mash",
    "statistics": "statistics sample variance estimate regression median outlier histogram survey bias quantile model",
    "postal": "postal letter parcel stamp sorting courier route postmark mailbag depot address clerk",
}
NOUNS = ("method result problem system record committee report plan survey season budget council village "
         "engineer visitor season measure account figure sketch map notice agreement decade winter spring "
         "summer autumn journey workshop market treaty custom workshop rule exception error change").split()
VERBS = ("describes requires improves reduces supports records examines explains delays replaces protects "
         "measures follows changes produces predicts limits shows carries prevents").split()
ADJECTIVES = ("careful small large early late common rare simple complex heavy light narrow broad quiet "
              "sudden steady local remote ancient modern practical costly").split()
ADVERBS = "often rarely usually slowly quickly carefully almost always seldom gradually".split()
NAMES = ("Abernethy Okafor Lindqvist Moreau Tanaka Castellanos Petrov Haddad Nakamura Whitfield Osei Brennan "
         "Kowalski Ferreira Dubois Svensson Adeyemi Romano Hughes Iversen").split()
PLACES = ("Ashford Kirkwall Dunmore Elmstead Harrowgate Linfield Marlow Northbridge Quarrington Redcliffe "
          "Stanmore Thornbury Wexcombe Yarrowby").split()

TEMPLATES = (
    "The {a} {t} {v} the {n} of the {t2}.",
    "In {year} the {n} at {place} {v} a {a} {t}.",
    "{Name} noted that the {t} {d} {v} the {n} when the {t2} is {a}.",
    "Each {t} has a {a} {n}, and the {t2} {v} it within {num} days.",
    "Most {ts} need a {t2} that {v} the {n}.",
    "A {a} {n} {v} how the {t} and the {t2} work together.",
    "According to the {n} of {year}, {num} {ts} were in use at {place}.",
    "When the {t} fails, the {n} {d} {v} the {a} {t2}.",
    "The {n} kept by {Name} {v} every {t} from {place} to the {t2}.",
    "Without a {a} {t}, the {n} cannot be finished before {season}.",
    "{Name} and {Name2} {d} argued about the {a} {t} in the {n}.",
    "The {t2} costs about {num} crowns, which {v} the {n} of the {t}.",
    "It is {d} the {a} {t} that {v} the {n}, not the {t2}.",
    "After the {n}, the {t} at {place} was {d} rebuilt with a {a} {t2}.",
)
SEASONS = ("spring", "summer", "autumn", "winter")
WORDS_PER_PAGE = (300, 380)


def plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


class TextGenerator:
    """Sentences, paragraphs and pages from one seeded random stream, leaning on a few topics per book."""

    def __init__(self, seed: int, topics: list[str] | None = None):
        self.rng = random.Random(seed)
        names = topics or self.rng.sample(sorted(TOPICS), 3)
        self.topics = names
        self.words = [w for t in names for w in TOPICS[t].split()]
        self.other = [w for t in sorted(TOPICS) if t not in names for w in TOPICS[t].split()] or self.words

    def _topic_word(self) -> str:
        # Mostly the book's own topics, sometimes another's: real books borrow words from other fields.
        return self.rng.choice(self.words if self.rng.random() < 0.85 else self.other)

    def sentence(self) -> str:
        r = self.rng
        names = r.sample(NAMES, 2)
        t = self._topic_word()
        text = r.choice(TEMPLATES).format(
            a=r.choice(ADJECTIVES), t=t, ts=plural(t), t2=self._topic_word(), n=r.choice(NOUNS),
            v=r.choice(VERBS), d=r.choice(ADVERBS), year=r.randint(1820, 1990), place=r.choice(PLACES),
            Name=names[0], Name2=names[1], num=r.randint(2, 900), season=r.choice(SEASONS))
        text = re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", text)
        return text[0].upper() + text[1:]

    def paragraph(self, sentences: int | None = None) -> str:
        return " ".join(self.sentence() for _ in range(sentences or self.rng.randint(4, 8)))

    def heading(self) -> str:
        r = self.rng
        return f"{r.choice(ADJECTIVES).title()} {plural(self._topic_word())} and the {r.choice(NOUNS)}"

    def page(self, heading: tuple[int, str] | None = None) -> list[tuple[int, str]]:
        """One page of blocks: an optional heading, then paragraphs up to a page's worth of words."""
        blocks: list[tuple[int, str]] = [heading] if heading else []
        target, words = self.rng.randint(*WORDS_PER_PAGE), 0
        while words < target:
            para = self.paragraph()
            blocks.append((0, para))
            words += len(para.split())
        return blocks


def book_pages(pages: int, seed: int, topics: list[str] | None = None
               ) -> tuple[str, list[list[tuple[int, str]]], list[tuple[int, str, int]]]:
    """The text of a book: (title, blocks per page, outline of chapters and sections)."""
    gen = TextGenerator(seed, topics)
    title = f"A Handbook of the {gen.topics[0].title()} ({seed})"
    out: list[list[tuple[int, str]]] = []
    toc: list[tuple[int, str, int]] = []
    chapter, section, next_chapter, next_section = 0, 0, 1, 1
    for number in range(1, pages + 1):
        heading = None
        if number == next_chapter:
            chapter, section = chapter + 1, 0
            heading = (1, f"Chapter {chapter}. {gen.heading()}")
            next_chapter = number + gen.rng.randint(8, 24)
            next_section = number + gen.rng.randint(2, 5)
        elif number == next_section:
            section += 1
            heading = (2, f"{chapter}.{section} {gen.heading()}")
            next_section = number + gen.rng.randint(2, 5)
        if heading:
            toc.append((heading[0], heading[1], number))
        out.append(gen.page(heading))
    return title, out, toc


def make_book(path: Path, pages: int, seed: int, topics: list[str] | None = None) -> Path:
    """Write a generated book of `pages` pages to `path` (a PDF)."""
    from ..ingest.pdf import write_text_pdf

    title, blocks, toc = book_pages(pages, seed, topics)
    return write_text_pdf(path, blocks, title=title, toc=toc)


def make_library(folder: Path, total_pages: int, seed: int, book_range: tuple[int, int] = (80, 320)) -> list[Path]:
    """Books of varied length and topic in `folder` adding up to at least `total_pages` pages.

    Returns:
        The PDF paths written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths, pages = [], 0
    while pages < total_pages:
        n = min(rng.randint(*book_range), max(total_pages - pages, book_range[0] // 4 or 1))
        paths.append(make_book(folder / f"book-{len(paths) + 1:03d}.pdf", n, seed * 1000 + len(paths)))
        pages += n
    return paths


def make_queries(n: int, seed: int) -> list[str]:
    """Search queries in the library's vocabulary: keyword pairs, phrases and questions, seeded."""
    gen = TextGenerator(seed, sorted(TOPICS))
    rng = gen.rng
    out = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            out.append(f"{gen._topic_word()} {rng.choice(NOUNS)}")
        elif kind == 1:
            words = gen.sentence().rstrip(".").split()
            start = rng.randrange(max(1, len(words) - 6))
            out.append(" ".join(words[start:start + rng.randint(4, 7)]))
        else:
            out.append(f"how does the {gen._topic_word()} affect the {rng.choice(NOUNS)} of the "
                       f"{gen._topic_word()}?")
    return out


FACTS = (
    ("The harbour committee of Kirkwall approved a budget of 4,200 crowns for the new pier in 1893.",
     "What budget did the harbour committee of Kirkwall approve for the new pier?"),
    ("The lighthouse keeper Elsa Lindqvist recorded the great gale of March 1907 in her logbook.",
     "Who recorded the great gale of March 1907?"),
    ("The Marlow ferry carried 312 passengers on its first crossing, which took forty minutes.",
     "How many passengers did the Marlow ferry carry on its first crossing?"),
    ("The Dunmore weather station measured 1,416 millimetres of rainfall in the wet year of 1912.",
     "How much rainfall did the Dunmore weather station measure in 1912?"),
)


def fact_document(path: Path, pages: int, seed: int) -> tuple[Path, list[str]]:
    """A short generated book with known facts in it, and questions the facts answer (for time to first token)."""
    from ..ingest.pdf import write_text_pdf

    title, blocks, toc = book_pages(pages, seed, ["harbour", "weather", "river"])
    for i, (fact, _) in enumerate(FACTS):
        page = blocks[min(len(blocks) - 1, i * len(blocks) // len(FACTS))]
        page.insert(min(len(page), 1 + i % 2), (0, fact))
    return write_text_pdf(path, blocks, title=title, toc=toc), [q for _, q in FACTS]
