"""Hierarchical hybrid retrieval: BM25 (FTS5) and dense (FAISS) candidates fused by reciprocal rank fusion,
then lifted by the sections they belong to.

Why hierarchical: in long documents the right passage often shares few words with the question while its section
title or its neighbouring passages do ("Installing packages" for "how do I add a library"). Sections are scored by
their titles (BM25 over `sections_fts`) and by the best chunks inside them; every chunk of the best sections is
then re-scored exactly (dense similarity from the stored embeddings plus BM25), so a passage that neither
retriever ranked globally can still be found inside the section that clearly matches.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from sqlalchemy import bindparam, text

from ..settings import RetrievalSettings
from ..store.db import Database
from ..index.vectors import VectorIndex, blobs_to_vectors
from .query import fts_query
from .rerank import Candidate, query_names, rerank
from .stats import query_terms

# Chunks taken from the best sections, beyond those either retriever returned (bounds the re-ranking cost).
SECTION_CANDIDATE_CAP = 120
# BM25 weight of a chunk's locator (file, class, definition or heading names) beside its text's 1.0.
LOCATOR_BM25_WEIGHT = 0.5


class QueryEmbedder(Protocol):
    dim: int

    def embed_query(self, text: str) -> np.ndarray: ...


@dataclass
class Ranked:
    """A chunk with the evidence behind its score (kept for explanations and tuning)."""

    chunk_id: int
    score: float
    section_id: int = 0
    document_id: int = 0
    parts: dict[str, float] = field(default_factory=dict)


def locator(kind: str, title: str, parent: str | None, doc_title: str | None) -> str:
    """Where a chunk sits, as words the re-ranker can match: its section and the section above it, and for code
    also the file path ("src/requests/sessions.py · class Session · def get_adapter").

    The parent matters because a subsection title is often a narrow name ("Using gctorture") under the topic a
    question names ("Checking memory access"); for code the file and class name what a definition belongs to.
    A PDF's own title is left out: it is the same for every chunk of the document.
    """
    parts = [doc_title] if kind == "code" and doc_title else []
    parts += [t for t in (parent, title) if t and t not in parts]
    return " · ".join(parts)


def rrf(rankings: Sequence[Sequence[int]], k: int, weights: Sequence[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion: sum over rankings of weight / (k + rank), rank 1-based."""
    scores: dict[int, float] = defaultdict(float)
    for i, ranking in enumerate(rankings):
        w = weights[i] if weights else 1.0
        for rank, item in enumerate(ranking, start=1):
            scores[item] += w / (k + rank)
    return dict(scores)


class HybridRetriever:
    """Ranks chunk ids for a query. Stateless apart from its handles; safe to share between threads for reads."""

    def __init__(self, db: Database, vectors: VectorIndex, embedder: QueryEmbedder | None,
                 settings: RetrievalSettings):
        self.db = db
        self.vectors = vectors
        self.embedder = embedder
        self.settings = settings

    # ------------------------------------------------------------------ candidate generators
    def bm25(self, query: str, limit: int, doc_ids: Sequence[int] | None = None,
             section_ids: Sequence[int] | None = None, extra_terms: list[str] | None = None
             ) -> list[tuple[int, float]]:
        """Chunk ids by FTS5 BM25 (best first) with the positive score (-bm25)."""
        match = fts_query(query, extra_terms)
        if match is None:
            return []
        # the locator column counts half as much as the chunk's own words
        sql = f"SELECT f.rowid, bm25(chunks_fts, 1.0, {LOCATOR_BM25_WEIGHT}) AS s FROM chunks_fts f"
        where = ["chunks_fts MATCH :q"]
        params: dict = {"q": match, "n": limit}
        binds = []
        if doc_ids is not None or section_ids is not None:
            sql += " JOIN chunks c ON c.id = f.rowid"
        if doc_ids is not None:
            where.append("c.document_id IN :docs")
            params["docs"] = list(doc_ids)
            binds.append(bindparam("docs", expanding=True))
        if section_ids is not None:
            where.append("c.section_id IN :secs")
            params["secs"] = list(section_ids)
            binds.append(bindparam("secs", expanding=True))
        stmt = text(f"{sql} WHERE {' AND '.join(where)} ORDER BY s LIMIT :n")
        if binds:
            stmt = stmt.bindparams(*binds)
        with self.db.engine.connect() as conn:
            return [(int(r[0]), -float(r[1])) for r in conn.execute(stmt, params)]

    def section_titles(self, query: str, limit: int, doc_ids: Sequence[int] | None) -> list[int]:
        match = fts_query(query)
        if match is None:
            return []
        sql = ("SELECT f.rowid FROM sections_fts f JOIN sections s ON s.id = f.rowid "
               "WHERE sections_fts MATCH :q")
        params: dict = {"q": match, "n": limit}
        stmt_binds = []
        if doc_ids is not None:
            sql += " AND s.document_id IN :docs"
            params["docs"] = list(doc_ids)
            stmt_binds.append(bindparam("docs", expanding=True))
        stmt = text(sql + " ORDER BY bm25(sections_fts) LIMIT :n")
        if stmt_binds:
            stmt = stmt.bindparams(*stmt_binds)
        with self.db.engine.connect() as conn:
            return [int(r[0]) for r in conn.execute(stmt, params)]

    def dense(self, qvec: np.ndarray | None, limit: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if qvec is None:
            return []
        ids, scores = self.vectors.search(qvec, limit, allowed)
        return [(int(i), float(s)) for i, s in zip(ids, scores)]

    # ------------------------------------------------------------------ the ranking
    def rank(self, query: str, k: int, doc_ids: Sequence[int] | None = None) -> list[Ranked]:
        """Best chunks for `query`, best first, at most `k` (scoped to `doc_ids` when given)."""
        st = self.settings
        n = max(st.candidates, k * 4)
        terms = query_terms(self.db, query)
        allowed = self._allowed_chunks(doc_ids) if doc_ids is not None else None
        qvec = self.embedder.embed_query(query) if self.embedder is not None and self.vectors.size else None
        lexical = self.bm25(query, n, doc_ids, extra_terms=list(terms.corrections.values()))
        dense = self.dense(qvec, n, allowed)
        fused = rrf([[c for c, _ in lexical], [c for c, _ in dense]], st.rrf_k, [st.bm25_weight, st.dense_weight])
        if not fused:
            return []
        # Hierarchy: the sections whose titles match, and those holding the best fused chunks, contribute all
        # their chunks as candidates, so a passage neither retriever ranked can still win inside its section.
        meta = self._chunk_meta(list(fused))
        section_score: dict[int, float] = defaultdict(float)
        for cid, sc in fused.items():
            section_score[meta[cid][0]] = max(section_score[meta[cid][0]], sc)
        for rank, sid in enumerate(self.section_titles(query, 20, doc_ids), start=1):
            section_score[sid] += 1.0 / (st.rrf_k + rank)
        best_sections = sorted(section_score, key=section_score.get, reverse=True)[:3]
        candidates = self._candidates(fused, best_sections)
        ranked = rerank(terms.match_stems(), qvec, candidates, terms.idf, query_names(query))
        return [Ranked(cid, score, meta.get(cid, (0, 0))[0], meta.get(cid, (0, 0))[1], parts)
                for cid, score, parts in ranked[:k]]

    # ------------------------------------------------------------------ helpers
    def _candidates(self, fused: dict[int, float], sections: list[int]) -> list[Candidate]:
        """Candidate chunks with text, locator and stored embedding (one query)."""
        stmt = text("SELECT c.id, c.text, d.kind, s.title, p.title, d.title, c.embedding FROM chunks c "
                    "JOIN documents d ON d.id = c.document_id JOIN sections s ON s.id = c.section_id "
                    "LEFT JOIN sections p ON p.id = s.parent_id "
                    "WHERE c.id IN :ids OR c.id IN (SELECT id FROM chunks WHERE section_id IN :secs "
                    "ORDER BY ordinal LIMIT :cap)").bindparams(bindparam("ids", expanding=True),
                                                                bindparam("secs", expanding=True))
        with self.db.engine.connect() as conn:
            rows = conn.execute(stmt, {"ids": list(fused), "secs": sections or [-1],
                                       "cap": SECTION_CANDIDATE_CAP}).all()
        dim = getattr(self.embedder, "dim", 0)
        out = []
        for cid, body, kind, title, parent, doc_title, blob in rows:
            emb = blobs_to_vectors([blob], dim)[0] if (blob is not None and dim) else None
            out.append(Candidate(int(cid), body, kind, locator(kind, title, parent, doc_title), emb,
                                 fused.get(int(cid), 0.0)))
        return out

    def _chunk_meta(self, chunk_ids: list[int]) -> dict[int, tuple[int, int]]:
        if not chunk_ids:
            return {}
        stmt = text("SELECT id, section_id, document_id FROM chunks WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True))
        with self.db.engine.connect() as conn:
            return {int(r[0]): (int(r[1]), int(r[2])) for r in conn.execute(stmt, {"ids": chunk_ids})}

    def _allowed_chunks(self, doc_ids: Sequence[int]) -> np.ndarray:
        stmt = text("SELECT id FROM chunks WHERE document_id IN :docs").bindparams(bindparam("docs", expanding=True))
        with self.db.engine.connect() as conn:
            return np.fromiter((r[0] for r in conn.execute(stmt, {"docs": list(doc_ids)})), dtype=np.int64)
