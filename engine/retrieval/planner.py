"""The context planner: what the model reads for one question, within the cache budget.

1. If every chunk in scope fits the budget, the model reads the documents in full, in reading order ("full").
2. Otherwise hierarchical retrieval fills the budget ("retrieved"): the best-ranked sections are taken whole when
   they are small enough to be worth it, then the best chunks with their neighbours; passages are put back in
   document order so the model reads them as the author wrote them.
3. Questions about a whole document ("summarise", "list all …", "compare chapter 2 and 5") are answered by
   map-reduce over sections ("map-reduce"): see answer/mapreduce.py; this module groups the sections.

Budgets are in model tokens; chunk sizes are stored in embedder tokens, so they are converted with a measured
ratio, and the final prompt is counted exactly by the caller before generation.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, text

from ..store.db import Database
from .hybrid import HybridRetriever, Ranked
from .sources import ChunkRow, document_chunks, load_chunks, neighbours, section_chunks

# Model tokens per embedder token (BPE vocabularies of chat models split prose slightly less finely than
# WordPiece; code more finely). Over-estimating is safe: the prompt is counted exactly before generation.
MODEL_TOKENS_PER_EMBEDDER_TOKEN = 1.15
SOURCE_OVERHEAD_TOKENS = 12  # "[12] manual.pdf p. 341:\n" and the blank line

_WHOLE_DOC = re.compile(
    r"\b(summari[sz]e|summary|overview|outline|main (points|ideas|topics|themes)|key (points|ideas|takeaways)|"
    r"list (all|every|each)|all the \w+|every \w+ (mentioned|described)|compare|contrast|differences? between|"
    r"what (is|are) (this|the) (document|book|paper|report|manual) about|table of contents|each chapter)\b",
    re.IGNORECASE)


def wants_whole_document(question: str) -> bool:
    """True for questions that need the whole document rather than the passages that match best."""
    return bool(_WHOLE_DOC.search(question))


@dataclass
class Plan:
    """What the model will read: passages in reading order and why."""

    mode: str  # full | retrieved | map-reduce
    passages: list[ChunkRow]
    ranked: list[Ranked] = field(default_factory=list)
    budget: int = 0
    estimated_tokens: int = 0
    groups: list[list[ChunkRow]] = field(default_factory=list)  # map-reduce: one group per model call
    documents: list[str] = field(default_factory=list)

    def describe(self) -> dict:
        return {"mode": self.mode, "budget": self.budget, "context_tokens": self.estimated_tokens,
                "passages": len(self.passages), "groups": len(self.groups), "documents": self.documents}


def model_tokens(chunk: ChunkRow) -> int:
    n = chunk.n_tokens or max(1, len(chunk.text) // 4)
    return int(n * MODEL_TOKENS_PER_EMBEDDER_TOKEN) + SOURCE_OVERHEAD_TOKENS


def reading_order(chunks: Sequence[ChunkRow]) -> list[ChunkRow]:
    uniq = {c.id: c for c in chunks}
    return sorted(uniq.values(), key=lambda c: (c.path, c.ordinal))


class ContextPlanner:
    def __init__(self, db: Database, retriever: HybridRetriever):
        self.db = db
        self.retriever = retriever

    def scope_size(self, doc_ids: Sequence[int] | None) -> int:
        """Estimated model tokens of every chunk in scope (the whole library when None)."""
        sql = "SELECT coalesce(sum(n_tokens), 0), count(*) FROM chunks"
        params: dict = {}
        stmt = text(sql)
        if doc_ids is not None:
            stmt = text(sql + " WHERE document_id IN :d").bindparams(bindparam("d", expanding=True))
            params = {"d": list(doc_ids)}
        with self.db.engine.connect() as conn:
            total, count = conn.execute(stmt, params).one()
        return int(total * MODEL_TOKENS_PER_EMBEDDER_TOKEN) + SOURCE_OVERHEAD_TOKENS * int(count)

    def plan(self, question: str, doc_ids: Sequence[int] | None, budget: int, *, k: int = 40,
             whole_doc: bool | None = None, search_query: str | None = None) -> Plan:
        """Choose the passages for `question` within `budget` model tokens.

        Args:
            question: the question (used to detect whole-document requests).
            doc_ids: documents in scope, None for the whole library.
            budget: most model tokens of document context.
            k: how many ranked chunks to consider when retrieving.
            whole_doc: force or forbid map-reduce; None detects it from the question.
            search_query: what to retrieve with (e.g. the question plus the previous one for follow-ups).
        """
        size = self.scope_size(doc_ids)
        if doc_ids is not None and size <= budget:
            chunks = [c for d in doc_ids for c in document_chunks(self.db, d)]
            # ranked anyway: the scores order the evidence and tell the reader which passages matter
            ranked = self.retriever.rank(search_query or question, min(len(chunks), 60), doc_ids)
            return Plan("full", reading_order(chunks), ranked=ranked, budget=budget, estimated_tokens=size,
                        documents=sorted({c.path for c in chunks}))
        if (whole_doc if whole_doc is not None else wants_whole_document(question)) and doc_ids is not None \
                and len(doc_ids) <= 3:
            return self._map_reduce(doc_ids, budget, size)
        return self._retrieve(search_query or question, doc_ids, budget, k)

    # ------------------------------------------------------------------ retrieval within a budget
    def _retrieve(self, query: str, doc_ids: Sequence[int] | None, budget: int, k: int) -> Plan:
        ranked = self.retriever.rank(query, k, doc_ids)
        rows = load_chunks(self.db, [r.chunk_id for r in ranked])
        chosen: dict[int, ChunkRow] = {}
        used = 0
        sections_taken: set[int] = set()

        def take(c: ChunkRow) -> bool:
            nonlocal used
            if c.id in chosen:
                return True
            cost = model_tokens(c)
            if used + cost > budget:
                return False
            chosen[c.id] = c
            used += cost
            return True

        radius = self.retriever.settings.neighbours
        for i, r in enumerate(ranked):
            c = rows.get(r.chunk_id)
            if c is None:
                continue
            # A small, clearly relevant section (top three hits) is read whole: its argument is the context.
            if i < 3 and c.section_id not in sections_taken:
                sec = section_chunks(self.db, c.section_id)
                sec_cost = sum(model_tokens(x) for x in sec)
                if len(sec) > 1 and sec_cost <= budget * 0.4 and used + sec_cost <= budget:
                    for x in sec:
                        take(x)
                    sections_taken.add(c.section_id)
                    continue
            if not take(c):
                continue
            for n in neighbours(self.db, c, radius):
                if n.id != c.id and used + model_tokens(n) <= budget * 0.9:
                    take(n)
        passages = reading_order(chosen.values())
        return Plan("retrieved", passages, ranked=ranked, budget=budget, estimated_tokens=used,
                    documents=sorted({c.path for c in passages}))

    # ------------------------------------------------------------------ map-reduce groups
    def _map_reduce(self, doc_ids: Sequence[int], budget: int, size: int) -> Plan:
        """Whole documents cut into groups of consecutive sections, each group fitting the budget."""
        chunks = reading_order([c for d in doc_ids for c in document_chunks(self.db, d)])
        groups: list[list[ChunkRow]] = []
        cur: list[ChunkRow] = []
        used = 0
        for c in chunks:
            cost = model_tokens(c)
            boundary = cur and c.section_id != cur[-1].section_id
            if cur and (used + cost > budget or (boundary and used > budget * 0.6)):
                groups.append(cur)
                cur, used = [], 0
            cur.append(c)
            used += cost
        if cur:
            groups.append(cur)
        return Plan("map-reduce", chunks, budget=budget, estimated_tokens=size, groups=groups,
                    documents=sorted({c.path for c in chunks}))

