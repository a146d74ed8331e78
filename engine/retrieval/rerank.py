"""Re-ranking the fused candidates with finer evidence than either retriever sees.

BM25 scores a chunk by all its words at once and the embedding squeezes 200 tokens into one vector; a question is
usually answered by one or two sentences. The re-ranker scores each candidate by:
- window: the share of the question's idf-weighted words found in its best window of two consecutive sentences;
- coverage: the share found anywhere in the chunk;
- cosine: the embedding similarity of question and chunk (computed for every candidate from the stored vectors,
  not only for those the dense retriever returned);
- title: the share found in its section's title (the hierarchical signal: "Options" for "what option ...").
The weights were chosen on the development set and checked on the paraphrased manual and code sets
(docs/retrieval.md); the fused RRF score breaks ties.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..ingest.chunking import sentence_bounds
from .textmatch import TermMatcher, weighted_overlap

W_WINDOW = 1.0
W_COSINE = 0.75
W_COVERAGE = 0.25
W_TITLE = 0.15
W_FUSED = 2.0  # × the RRF score (at most ~0.03): a tie-breaker


@dataclass
class Candidate:
    chunk_id: int
    text: str
    kind: str
    section_title: str
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


def rerank(query_stems: Sequence[str], qvec: np.ndarray | None, candidates: Sequence[Candidate],
           idf: Mapping[str, float]) -> list[tuple[int, float, dict]]:
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
        score = (W_WINDOW * window + W_COSINE * max(cos, 0.0) + W_COVERAGE * coverage + W_TITLE * title
                 + W_FUSED * c.fused)
        out.append((c.chunk_id, score, {"window": window, "cosine": cos, "coverage": coverage, "title": title,
                                        "fused": c.fused}))
    out.sort(key=lambda t: t[1], reverse=True)
    return out
