"""Whole-document questions ("summarise", "list all …", "compare …") answered by map-reduce over sections.

Map: each group of consecutive sections that fits the budget is read by the model, which notes what it says
about the request; each note is verified against that group's sentences, so it keeps its pages. The notes stream
as "[part g of n]" pieces.

Reduce: when more than one part has verified notes, one more model call reads the notes (not the sources: each
note under its source number and page, the least relevant parts left out if they do not fit the context) and
writes the answer, streamed after an "[answer]" header; synthesis.py verifies it against the units that
supported the notes, so each citation still resolves to an exact quote on its page. If the synthesis loses
support (nothing verified, a part dropped, mostly unsupported), the verified notes are joined in document order
instead: a small model must never make the answer worse than its own notes. `context["reduce"]` records the
path ("synthesis", "joined" or "none" when nothing was found) and `context["reduce_reason"]` why.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from ..cancel import check
from ..retrieval.planner import Plan
from ..retrieval.stats import query_terms
from ..types import Answer, Citation, CitationEvent, DoneEvent, SourcesEvent, StreamEvent, TokenEvent
from .evidence import rank_evidence
from .generation import stream_text
from .prompts import PARTIAL_SYSTEM, NumberedSource, build_messages, format_sources, source_label, split_prompt
from .synthesis import Note, complete_sentences, dedupe, synthesize
from .verify import verify

NOT_FOUND_TEXT = "I read the whole document but could not find anything the sources support for this request."
SYNTHESIS_HEADER = "\n\n[answer] "


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
    notes: list[Note] = []
    stats = None
    prompt_tokens = completion_tokens = 0
    for g, group in enumerate(plan.groups, start=1):
        check(cancelled)
        local = [NumberedSource(numbered[c.id], source_label(c.path, c.page, _lines(c)), c.text) for c in group]
        messages, tail = build_messages(PARTIAL_SYSTEM, format_sources(local), question)
        prefix, suffix = split_prompt(ctx.llm.render_chat, messages, tail)
        yield TokenEvent(f"\n[part {g} of {len(plan.groups)}] ")
        text, part = yield from stream_text(ctx.llm, prefix, suffix, st, cancelled,
                                            max_tokens=min(160, st.max_answer_tokens))
        if part is not None:
            stats = part
            prompt_tokens += part.prompt_tokens
            completion_tokens += part.completion_tokens
        text = complete_sentences(text, stats)
        units = rank_evidence(question, group, terms.idf, None, None, terms.match_stems())
        units.sort(key=lambda u: (numbered[u.chunk.id], u.start))
        checked = verify(text, question, units, lambda u: numbered[u.chunk.id], terms.idf, ctx.embed)
        claims = dedupe(checked.kept)
        if claims:
            notes.append(Note(g, claims, units))
    map_ms = (time.perf_counter() - t0) * 1000 - retrieve_ms
    context = dict(context)  # the SourcesEvent's copy stays as it was sent
    joined = [c for n in notes for c in n.claims]
    kept, reduce, reason = joined, "joined", ""
    synthesis_ms = 0.0
    if not joined:
        reduce, reason = "none", "no part had a supported note"
    elif len(notes) < 2:
        reason = "only one part had notes"
    else:
        syn = yield from synthesize(ctx, question, notes, numbered, terms.idf, cancelled, SYNTHESIS_HEADER)
        synthesis_ms = syn.ms
        context.update(verification=syn.changes, notes_trimmed=syn.notes_trimmed)
        if syn.stats is not None:
            stats = syn.stats
            prompt_tokens += syn.stats.prompt_tokens
            completion_tokens += syn.stats.completion_tokens
        if syn.kept is not None:
            kept, reduce = syn.kept, "synthesis"
        else:
            reason = syn.reason
    context["reduce"] = reduce
    if reason:
        context["reduce_reason"] = reason
    citations: list[Citation] = []
    if kept:
        answer_text = _compose(kept, citations, numbered, question)
        abstained = False
    else:
        answer_text = NOT_FOUND_TEXT
        abstained = True
    for c in citations:
        yield CitationEvent(c)
    timings = _timings(t0, retrieve_ms, stats)
    timings.update(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, map_ms=round(map_ms, 1),
                   synthesis_ms=round(synthesis_ms, 1))
    yield DoneEvent(Answer(question, answer_text, abstained, citations, sources, timings,
                           _settings_out(ctx, plan.budget), context))
