"""Whole-document questions ("summarise", "list all …", "compare …") answered by map-reduce over sections.

Map: each group of consecutive sections that fits the budget is read by the model, which notes what it says
about the request; each note is verified against that group's sentences, so it keeps its pages. Reduce: the
verified notes, in document order, form the answer, each sentence cited to its own quote. (The notes are
joined rather than rewritten by the model: a rewrite by a small model loses citations more often than it
improves the prose; with a larger model a synthesis pass is the natural next step.)
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from ..cancel import check
from ..retrieval.planner import Plan
from ..retrieval.stats import query_terms
from ..types import Answer, Citation, CitationEvent, DoneEvent, SourcesEvent, StreamEvent, TokenEvent
from .evidence import rank_evidence
from .prompts import PARTIAL_SYSTEM, NumberedSource, build_messages, format_sources, source_label, split_prompt
from .verify import verify


def answer_map_reduce(ctx, question: str, plan: Plan, history, cancelled: Callable[[], bool],
                      t0: float) -> Iterator[StreamEvent]:
    from .ask import _compose, _lines, _settings_out, _source, _timings

    st = ctx.settings
    terms = query_terms(ctx.db, question)
    numbered = {c.id: i for i, c in enumerate(plan.passages, start=1)}
    sources = [_source(c, numbered[c.id], 0.0, question) for c in plan.passages]
    context = {**plan.describe()}
    retrieve_ms = (time.perf_counter() - t0) * 1000
    yield SourcesEvent(tuple(sources), context)
    kept = []
    stats = None
    prompt_tokens = completion_tokens = 0
    for g, group in enumerate(plan.groups, start=1):
        check(cancelled)
        local = [NumberedSource(numbered[c.id], source_label(c.path, c.page, _lines(c)), c.text) for c in group]
        messages, tail = build_messages(PARTIAL_SYSTEM, format_sources(local), question)
        prefix, suffix = split_prompt(ctx.llm.render_chat, messages, tail)
        text = ""
        yield TokenEvent(f"\n[part {g} of {len(plan.groups)}] ")
        for ev in ctx.llm.generate(prefix, suffix, max_tokens=min(160, st.max_answer_tokens),
                                   temperature=st.temperature, cancel=cancelled, seed=st.seed):
            if hasattr(ev, "text"):
                text += ev.text
                yield TokenEvent(ev.text)
            else:
                stats = ev
                prompt_tokens += ev.prompt_tokens
                completion_tokens += ev.completion_tokens
        units = rank_evidence(question, group, terms.idf, None, None, terms.match_stems())
        units.sort(key=lambda u: (numbered[u.chunk.id], u.start))
        checked = verify(text, question, units, lambda u: numbered[u.chunk.id], terms.idf, ctx.embed)
        kept.extend(checked.kept)
    citations: list[Citation] = []
    if kept:
        answer_text = _compose(kept, citations, numbered)
        abstained = False
    else:
        answer_text = "I read the whole document but could not find anything the sources support for this request."
        abstained = True
    for c in citations:
        yield CitationEvent(c)
    timings = _timings(t0, retrieve_ms, stats)
    timings.update(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    yield DoneEvent(Answer(question, answer_text, abstained, citations, sources, timings,
                           _settings_out(ctx, plan.budget), context))
