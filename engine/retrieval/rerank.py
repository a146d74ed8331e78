"""Re-ranking the fused candidates with finer evidence than either retriever sees.

BM25 scores a chunk by all its words at once and the embedding squeezes 200 tokens into one vector; a question is
usually answered by one or two sentences. The re-ranker scores each candidate by:
- window: the share of the question's idf-weighted words found in its best window of two consecutive sentences;
- coverage: the share found anywhere in the chunk;
- cosine: the embedding similarity of question and chunk (computed for every candidate from the stored vectors,
  not only for those the dense retriever returned);
- name: the share of the question's capitalised names of several words found verbatim ("Wars of Religion");
- title: the share found in its locator: its section's title and the one above it, and for code the file path
  and class (the hierarchical signal: "Options" for "what option ...", "def get_adapter" for "adapter").
A table of contents or an index page (PDF chunks of dot-leader entries) loses CONTENTS_PENALTY: it names every
topic and answers none.
Prose and code get different weights. In prose a question's words usually recur in the answering sentences, so the
window leads; a code chunk shares few words with an English question (identifiers, no sentences), so there the
embedding and the definition's name carry more. The weights were chosen on squad-dev and the paraphrased R manual
and requests sets together (docs/retrieval.md, "Paraphrased sets"); the fused RRF score breaks ties.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..ingest.chunking import sentence_bounds
from .textmatch import TermMatcher, weighted_overlap


@dataclass(frozen=True)
class Weights:
    """How much each feature counts in a candidate's score."""

    window: float
    cosine: float
    coverage: float
    title: float
    fused: float = 2.0  # × the RRF score (at most ~0.03): a tie-breaker
    # the share of the question's names of several words ("Wars of Religion") the chunk writes out whole: the
    # window counts "wars" and "religion" wherever they are, so "War ... ended ... Treaty" on another page tied
    name: float = 0.0


# Coverage adds nothing for prose once the window is counted (it re-counts words scattered across a long chunk,
# which favours generic passages); code keeps a little of it because a definition's words are spread over lines.
PROSE = Weights(window=1.0, cosine=0.75, coverage=0.0, title=0.5, name=0.15)
CODE = Weights(window=0.5, cosine=2.0, coverage=0.25, title=0.75)


@dataclass
class Candidate:
    chunk_id: int
    text: str
    kind: str
    section_title: str  # the locator (hybrid.locator): section titles, and for code the file path
    embedding: np.ndarray | None
    fused: float = 0.0


def _units(text: str, kind: str) -> list[tuple[int, int]]:
    if kind == "code":
        # code has no sentences; windows of lines play their part
        lines, pos, out = text.split("\n"), 0, []
        for i in range(0, len(lines), 4):
            seg = "\n".join(lines[i:i + 4])
            out.append((pos, pos + len(seg)))
            pos += len(seg) + 1
        return out
    return sentence_bounds(text) or [(0, len(text))]


# A contents page or an index: entries that end in dot leaders and a page number ("1.2 Licensing . . . . 9",
# "Chapter 1. Steam engine …… 3"). It names every topic, so it matches many questions' words, and answers none.
_LEADER_ENTRY = re.compile(r"(?:(?:\.\s?){4,}|…+)\s*\d+")
# Subtracted from such a chunk's score: enough to put R-data's contents page (second for "How do I read a
# fixed-width file?") out of the top five, while it stays findable when nothing else matches. No recall figure on
# the four sets moved at 0.5 or 1.0 (docs/retrieval.md).
CONTENTS_PENALTY = 1.0


def contents_like(text: str) -> bool:
    """Three or more dot-leader entries: a table of contents (or an index page), not prose."""
    return len(_LEADER_ENTRY.findall(text)) >= 3


# Lower-case words that may join the capitalised words of one name ("Wars of Religion", "Louis de Condé").
_CONNECTORS = ("of", "the", "de", "du", "von", "van", "for", "and")
_NAME = re.compile(r"\b[A-Z][\w'-]*(?:\s+(?:(?:" + "|".join(_CONNECTORS) + r")\s+)*[A-Z][\w'-]*)+")


def query_names(query: str) -> list[str]:
    """Names of several words the question writes with capitals ("Wars of Religion", "Seven Years War"); a
    capitalised first word counts only when it is not the question's own opening ("What", "How")."""
    out = []
    for m in _NAME.finditer(query):
        words = m.group(0).split()
        if m.start() == 0:
            words = words[1:]
            while words and words[0].lower() in _CONNECTORS:
                words = words[1:]
        if sum(w[0].isupper() for w in words) >= 2:
            out.append(" ".join(words).lower())
    return out


def rerank(query_stems: Sequence[str], qvec: np.ndarray | None, candidates: Sequence[Candidate],
           idf: Mapping[str, float], names: Sequence[str] = ()) -> list[tuple[int, float, dict]]:
    """(chunk id, score, features) for every candidate, best first."""
    q = set(query_stems)
    matcher = TermMatcher(q)
    out = []
    for c in candidates:
        spans = _units(c.text, c.kind)
        sets = matcher.per_span(c.text, spans)
        window = 0.0
        for i, s in enumerate(sets):
            pair = s | sets[i + 1] if i + 1 < len(sets) else s
            window = max(window, weighted_overlap(q, pair, idf))
        coverage = weighted_overlap(q, set().union(*sets) if sets else set(), idf)
        title = weighted_overlap(q, {s for _, s in matcher.hits(c.section_title)}, idf)
        cos = float(c.embedding @ qvec) if (c.embedding is not None and qvec is not None) else 0.0
        w = CODE if c.kind == "code" else PROSE
        flat = " ".join(c.text.split()).lower() if names else ""
        name = sum(n in flat for n in names) / len(names) if names else 0.0
        score = (w.window * window + w.cosine * max(cos, 0.0) + w.coverage * coverage + w.title * title
                 + w.fused * c.fused + w.name * name)
        if c.kind == "pdf" and contents_like(c.text):
            score -= CONTENTS_PENALTY
        out.append((c.chunk_id, score, {"window": window, "cosine": cos, "coverage": coverage, "title": title,
                                        "fused": c.fused, "name": name}))
    out.sort(key=lambda t: t[1], reverse=True)
    return out
