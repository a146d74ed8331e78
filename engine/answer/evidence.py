"""Evidence selection: which sentences (or code blocks) of the retrieved passages answer the question.

Retrieval ranks chunks of ~200 tokens; a citation should point at the one sentence that supports the answer.
Each sentence is scored by the share of the question's (idf-weighted) words it contains, by the share its
neighbourhood contains (questions often take words from the sentence before), by embedding similarity to the
question, and by its passage's retrieval rank. The same units are the candidates for citation verification.

Two numbers per unit: `score` says how well the sentence itself matches the question (abstention and the answer's
focus compare it with thresholds), `order` ranks units for citing: there the retriever's ranking of the passages
leads and the sentence score picks within and between close passages. The retriever sees section titles, the
hierarchy and exact embeddings of whole passages, and it picks the right passage more often than sentence scores
do: with the sentence score alone, the top unit lay on a gold page for 0.875 of squad-dev, 0.37 of the paraphrased
R manual set, 0.39 of requests and 0.33 of click; ordered with W_ORDER 8: 0.906, 0.565, 0.591 and 0.40
(docs/answers.md, "Which passage to cite").
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..ingest.chunking import sentence_bounds
from ..retrieval.answertype import answer_type, offers
from ..retrieval.sources import ChunkRow
from ..retrieval.textmatch import content_stems, weighted_overlap

_BLANK_LINES = re.compile(r"\n[ \t]*\n")

# Weights of the sentence score, chosen on the development set (docs/answers.md): word evidence dominates, the
# embedding and the passage's retrieval score break ties, and offering the expected kind of answer counts.
W_LEXICAL = 1.0
W_WINDOW = 1.0
W_DENSE = 0.25
W_PASSAGE = 0.5
W_TYPE = 0.3
# How much more the passage's retrieval rank (0..1) counts when ordering units for citation (see the docstring).
W_ORDER = 8.0


@dataclass
class Evidence:
    """A candidate quote: a sentence (prose) or block (code) inside one retrieved passage."""

    passage: int
    chunk: ChunkRow
    start: int
    end: int
    score: float = 0.0
    lexical: float = 0.0
    window: float = 0.0
    dense: float = 0.0
    offers: bool = False
    prior: float = 0.0
    stems: set[str] = field(default_factory=set)

    @property
    def order(self) -> float:
        """Rank for citing: the passage's retrieval rank first, then the sentence's own score."""
        return self.score + W_ORDER * self.prior

    @property
    def text(self) -> str:
        return self.chunk.text[self.start:self.end]

    @property
    def lines(self) -> tuple[int, int] | None:
        """1-based line range of the unit in its file (code and text documents)."""
        if self.chunk.line_start is None:
            return None
        before = self.chunk.text.count("\n", 0, self.start)
        inside = self.chunk.text.count("\n", self.start, self.end)
        first = self.chunk.line_start + before
        return first, first + inside


def units_of(chunk: ChunkRow) -> list[tuple[int, int]]:
    """Sentence spans for prose, blank-line-separated blocks for code."""
    if chunk.kind == "code":
        spans, pos = [], 0
        for m in _BLANK_LINES.finditer(chunk.text):
            if m.start() > pos:
                spans.append((pos, m.start()))
            pos = m.end()
        if pos < len(chunk.text):
            spans.append((pos, len(chunk.text)))
        return [(a, b) for a, b in spans if chunk.text[a:b].strip()]
    start = _heading_end(chunk)
    spans = [(start + a, start + b) for a, b in sentence_bounds(chunk.text[start:]) if b - a >= 3]
    return spans


def _heading_end(chunk: ChunkRow) -> int:
    """Where the section heading ends when the chunk opens with it (a heading is not part of a sentence)."""
    title = " ".join(chunk.section_title.split())
    if len(title) < 2:
        return 0
    text = chunk.text
    i = j = 0
    while i < len(text) and j < len(title):  # compare ignoring whitespace differences
        if text[i].isspace():
            i += 1
        elif title[j].isspace():
            j += 1
        elif text[i].lower() == title[j].lower():
            i += 1
            j += 1
        else:
            return 0
    return i if j == len(title) else 0


def collect_units(passages: Sequence[ChunkRow]) -> list[Evidence]:
    out = []
    for i, ch in enumerate(passages):
        for a, b in units_of(ch):
            ev = Evidence(i, ch, a, b)
            ev.stems = set(content_stems(ev.text))
            out.append(ev)
    return out


def rank_evidence(question: str, passages: Sequence[ChunkRow], idf: Mapping[str, float],
                  embed: Callable[[list[str]], np.ndarray] | None = None,
                  passage_scores: Sequence[float] | None = None,
                  query_stems: Sequence[str] | None = None) -> list[Evidence]:
    """Every unit of `passages`, best first (by `order`).

    Args:
        question: the user's question.
        passages: retrieved chunks, best first.
        idf: idf weight per stem (see retrieval.stats.query_terms).
        embed: function mapping a list of strings to L2-normalised vectors (first string: the question);
            None skips the dense part.
        passage_scores: the retrieval score of each passage (default: falling with rank).
        query_stems: the question's stems (default: computed from the question; pass corrected ones).
    """
    units = collect_units(passages)
    if not units:
        return []
    q_stems = list(query_stems) if query_stems is not None else content_stems(question)
    kind = answer_type(question)
    for j, ev in enumerate(units):
        ev.lexical = weighted_overlap(q_stems, ev.stems, idf)
        near = set(ev.stems)
        for k in (j - 1, j + 1):
            if 0 <= k < len(units) and units[k].chunk.id == ev.chunk.id:
                near |= units[k].stems
        ev.window = weighted_overlap(q_stems, near, idf)
    if embed is not None:
        vecs = embed([question] + [ev.text for ev in units])
        sims = np.asarray(vecs[1:]) @ np.asarray(vecs[0])
        for ev, s in zip(units, sims):
            ev.dense = float(s)
    n = max(len(passages), 1)
    if passage_scores is not None and len(passage_scores) == len(passages) and max(passage_scores) > 0:
        top = max(passage_scores)
        priors = [max(p, 0.0) / top for p in passage_scores]
    else:
        priors = [1.0 - i / n for i in range(len(passages))]
    for ev in units:
        ev.offers = offers(ev.text, kind, question)
        ev.prior = priors[ev.passage]
        ev.score = (W_LEXICAL * ev.lexical + W_WINDOW * ev.window + W_DENSE * max(ev.dense, 0.0)
                    + W_PASSAGE * ev.prior + W_TYPE * ev.offers)
    units.sort(key=lambda e: e.order, reverse=True)
    return units
