"""Answering a question: plan the context, prompt the model, stream, verify, cite — or abstain.

The model's prose is checked sentence by sentence against the sources (verify.py); what survives is the answer,
each sentence cited to the exact quote that supports it. When nothing the model wrote is supported (a small
model often invents), the answer quotes the best evidence instead, so the reader still gets the passage that
answers the question, with its page and highlight. When even the best evidence is weak, the engine abstains:
it says plainly that the library does not answer the question and lists the closest passages.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..cancel import check
from ..errors import ContextTooLargeError
from ..retrieval.planner import ContextPlanner
from ..retrieval.sources import ChunkRow, to_source
from ..retrieval.stats import QueryTerms, query_terms
from ..settings import LlmSettings
from ..store.db import Database
from ..types import Answer, Citation, CitationEvent, DoneEvent, Source, SourcesEvent, StreamEvent, TokenEvent
from .answerable import candidate_windows
from .evidence import W_DENSE, Evidence, rank_evidence
from .generation import stream_text
from .prompts import SYSTEM, NumberedSource, build_messages, format_sources, source_label, split_prompt
from .quotes import to_citation
from .synthesis import complete_sentences, dedupe
from .verify import Claim, verify

# When to refuse instead of answering, per `llm.abstain` (docs/answers.md, "Abstention"). Two measures of the
# library's best evidence: its score (evidence.py's scale, mostly the question's words found) and its meaning (the
# highest embedding similarity of a sentence to the question). "rarely" refuses only when both are weak: that is
# what a question the library is not about looks like (words like "point" or "capital" alone can score well; its
# meaning never comes close). On the development set it refused 15 of 20 off-topic questions and none of the 96
# answerable ones. SQuAD 2.0's adversarial unanswerable questions look like real ones on both measures; "balanced"
# and "strict" also ask a trained reader whether the best passages answer (answerable.py) and refuse below its
# threshold. On squad-dev: balanced refuses 8% of answerable and 33% of trick questions, strict 13.5% and 46% (the
# score rules they replaced: 11.5%/17% and 13.5%/33%); on SQuAD articles it never saw, 8%/17% and 14%/33%
# (docs/answers.md, "Out of sample"). The reader also learnt from technical FAQs
# (scripts/faq_pairs.py), so on a manual's how-to questions (tests/eval/r-exts) it refuses 4% / 17% of answerable
# ones (before the FAQs: 35% at 25% of trick questions). "rarely" stays the default: even balanced costs squad-dev's
# citation recall 0.95 -> 0.885, under issue 3's 0.90 (docs/answers.md).
@dataclass(frozen=True)
class AbstainRule:
    score_below: float
    meaning_below: float | None  # None: the score alone decides
    not_found_below: float  # when the model says the sources do not answer, it is believed below this score
    answerable_below: float | None = None  # refuse when the trained reader's best logit is below (answerable.py)

    def refuses(self, score: float, meaning: float) -> bool:
        if self.meaning_below is None:
            return score < self.score_below
        return score < self.score_below and meaning < self.meaning_below


ABSTAIN = {"rarely": AbstainRule(1.77, 0.40, 1.6), "balanced": AbstainRule(1.77, 0.40, 1.95, answerable_below=-0.7),
           "strict": AbstainRule(1.77, 0.40, 2.13, answerable_below=0.0)}
# The meaning threshold is a cosine of all-MiniLM-L6-v2 (the packaged embedder); other embedders put unrelated
# texts at other similarities, so with them the words-and-meaning test falls back to the score alone, at the point
# calibrated before the meaning test existed (3% of answerable and 14 of 20 off-topic questions refused). The
# trained reader is the packaged network whatever the embedder, so its threshold stays.
MEANING_CALIBRATED_FOR = "all-MiniLM-L6-v2"
RARELY_BY_SCORE = AbstainRule(1.45, None, 1.6)
# A kept claim must rest on evidence scoring at least this share of the best evidence's score (see focus()).
FOCUS_SHARE = 0.8
# ... and must rest on evidence within this much of the first unit in citing order (evidence.py `order`; 8 is a
# whole step of the passage's retrieval rank). On squad-dev a margin of 0-0.5 kept citation recall at the
# retriever's R@1 (0.906); 1-2 gave 0.896, none 0.885 (docs/answers.md).
ORDER_MARGIN = 0.5
# Evidence units embedded for the dense part of evidence ranking (the lexically best ones).
DENSE_UNITS = 48
ABSTAIN_TEXT = ("I could not find an answer to this in your library. The closest passages are listed below; "
                "they may help you look further.")
# With no passage at all there is nothing to list: the library (or the chosen documents) holds no text yet. Often a
# new library made by a mistyped --library path, so say that instead of pointing at an empty list.
NOTHING_TO_READ_TEXT = ("There is nothing to read: your library has no documents with text (or none among the "
                        "documents you chose). Add some, then ask again.")
# When only the trained reader refused, the passages are about the question's subject: say so, so that the reader
# knows the library was not silent, only not explicit.
NOT_SAID_TEXT = ("Your library mentions this, but none of the closest passages says what you asked. They are listed "
                 "below; they may help you look further.")


@dataclass
class AskContext:
    """What the answerer needs from the engine, passed in so tests can swap parts."""

    db: Database
    planner: ContextPlanner
    embed: Callable[[list[str]], np.ndarray] | None
    llm: object  # an LlmBackend
    settings: LlmSettings
    embedder_name: str = MEANING_CALIBRATED_FOR  # whose similarities `embed` returns (see ABSTAIN)
    # (question, passages) -> one answerability logit per passage (answerable.py); None: not checked
    answerable: Callable[[str, list[str]], np.ndarray] | None = None


def _budget(ctx: AskContext) -> int:
    st = ctx.settings
    n_ctx = int(getattr(ctx.llm, "effective_settings", lambda: {"n_ctx": st.n_ctx})().get("n_ctx", st.n_ctx))
    room = n_ctx - st.max_answer_tokens - 400  # instructions, question, history, template tokens
    budget = min(st.budget, room)
    if st.effective_context:
        budget = min(budget, st.effective_context - st.max_answer_tokens - 400)
    if budget < 128:
        raise ContextTooLargeError(
            f"llm.n_ctx {n_ctx} leaves no room for document context after the answer ({st.max_answer_tokens} "
            f"tokens); raise llm.n_ctx or lower llm.max_answer_tokens.")
    return budget


def ask_stream(ctx: AskContext, question: str, doc_ids: Sequence[int] | None, *,
               history: Sequence[tuple[str, str]] = (), cancelled: Callable[[], bool] = lambda: False
               ) -> Iterator[StreamEvent]:
    t0 = time.perf_counter()
    st = ctx.settings
    history = list(history)[-st.history_turns:] if st.history_turns else []
    # A follow-up like "and in 1990?" is retrieved together with the previous question.
    search_query = question if not history or len(question.split()) > 8 else f"{history[-1][0]} {question}"
    budget = _budget(ctx)
    plan = ctx.planner.plan(question, doc_ids, budget, search_query=search_query)
    check(cancelled)
    if plan.mode == "map-reduce":
        from .mapreduce import answer_map_reduce

        yield from answer_map_reduce(ctx, question, plan, history, cancelled, t0)
        return
    passages = plan.passages
    terms = query_terms(ctx.db, search_query)
    score_of = {r.chunk_id: r.score for r in plan.ranked}
    units = select_evidence(ctx, question, passages, score_of, terms)
    retrieve_ms = (time.perf_counter() - t0) * 1000
    numbered = {c.id: i for i, c in enumerate(passages, start=1)}
    sources = [_source(c, numbered[c.id], score_of.get(c.id, 0.0), question) for c in passages]
    context = {**plan.describe(), "budget": budget}
    yield SourcesEvent(tuple(sources), context)
    best = units[0] if units else None  # the unit to cite first
    # how well the library answers at all: the best-matching sentence, wherever its passage ranked
    strongest = max(units, key=lambda e: e.score) if units else None
    settings_out = _settings_out(ctx, budget)
    rule = abstain_rule(st.abstain, ctx.embedder_name if ctx.embed is not None else "")
    meaning = max((u.dense for u in units), default=0.0)
    context["best_evidence"] = round(strongest.score, 3) if strongest is not None else 0.0
    context["best_meaning"] = round(meaning, 3)
    if best is None or rule.refuses(strongest.score, meaning):
        text = ABSTAIN_TEXT if sources else NOTHING_TO_READ_TEXT
        yield from _abstain(question, sources, t0, retrieve_ms, context, settings_out, units, text=text)
        return
    verdict = None
    if rule.answerable_below is not None and ctx.answerable is not None:  # only when words and meaning passed
        t_check = time.perf_counter()
        verdict = answerability(ctx.answerable, question, units, passages, score_of)
        if verdict is not None:
            context["answerability"] = round(verdict, 3)
            context["answerability_ms"] = round((time.perf_counter() - t_check) * 1000, 1)
    if verdict is not None and verdict < rule.answerable_below:
        context["refused_by"] = "answerability"
        yield from _abstain(question, sources, t0, retrieve_ms, context, settings_out, units, text=NOT_SAID_TEXT)
        return

    prefix, suffix = _prompt(ctx, passages, question, history)
    text, stats = yield from stream_text(ctx.llm, prefix, suffix, st, cancelled)
    check(cancelled)
    in_order = sorted(units, key=lambda u: (numbered.get(u.chunk.id, 0), u.start))
    checked = verify(complete_sentences(text, stats), question, in_order, lambda u: numbered.get(u.chunk.id, 0),
                     terms.idf, ctx.embed)
    kept = focus(dedupe(checked.kept), strongest, best)
    checked.changes["off_topic"] = len(checked.kept) - len(kept)
    citations: list[Citation] = []
    if kept:
        answer_text = _compose(kept, citations, numbered, question)
    elif checked.said_not_found and strongest.score < rule.not_found_below:
        yield from _abstain(question, sources, t0, retrieve_ms, context, settings_out, units, stats)
        return
    else:
        # Nothing the model wrote is supported: quote the best evidence rather than pass on an invention.
        citations.append(to_citation(1, best, numbered.get(best.chunk.id, 0), question))
        answer_text = f"The most relevant passage says: “{citations[0].quote}” [1]"
        context["extractive"] = True
    context["verification"] = checked.changes
    for c in citations:
        yield CitationEvent(c)
    timings = _timings(t0, retrieve_ms, stats)
    yield DoneEvent(Answer(question, answer_text, False, citations, sources, timings, settings_out, context))


def select_evidence(ctx: AskContext, question: str, passages: Sequence[ChunkRow], score_of: dict[int, float],
                    terms: QueryTerms) -> list[Evidence]:
    """The passages' sentences (code: blocks), first in citing order (evidence.py), with their meaning measured
    for the lexically best DENSE_UNITS of them."""
    by_rank = sorted(passages, key=lambda c: -score_of.get(c.id, 0.0))
    units = rank_evidence(question, by_rank, terms.idf, None, [score_of.get(c.id, 0.0) for c in by_rank],
                          terms.match_stems())
    if ctx.embed is not None and units:
        # embedding every sentence of a long document is slow: only the lexically best ones compete on meaning
        _add_dense(ctx, question, units[:DENSE_UNITS])
        units.sort(key=lambda e: e.order, reverse=True)
    return units


def answerability(score: Callable[[str, list[str]], np.ndarray], question: str, units: list[Evidence],
                  passages: Sequence[ChunkRow], score_of: dict[int, float]) -> float | None:
    """The trained reader's best logit over the evidence's windows; None when there is no prose to read."""
    windows = candidate_windows(units, sorted(passages, key=lambda c: -score_of.get(c.id, 0.0)))
    return float(np.max(score(question, windows))) if windows else None


def abstain_rule(level: str, embedder_name: str) -> AbstainRule:
    """The rule for `llm.abstain` = `level`, given the embedder whose similarities measure meaning."""
    rule = ABSTAIN[level]
    if rule.meaning_below is not None and embedder_name != MEANING_CALIBRATED_FOR:
        return replace(RARELY_BY_SCORE, not_found_below=rule.not_found_below, answerable_below=rule.answerable_below)
    return rule


def focus(claims: list[Claim], strongest: Evidence, lead: Evidence | None = None) -> list[Claim]:
    """The claims that answer the question, the best-evidenced first.

    A verified claim is true to its source, but a small model also writes true sentences beside the point; a
    claim whose evidence scores under FOCUS_SHARE of the strongest evidence for the question is left out, and so
    is one whose evidence comes well after `lead` (the first unit in citing order) — a sentence from a passage the
    retriever ranked lower, however well its words match (on the development set this dropped 4 answers' claims:
    3 had cited the wrong page, 1 the right one) — unless the lead offers nothing of the kind of answer asked for
    (no number for "how many", no name for "which sea") and the claim's evidence does.
    The claim whose evidence comes first in `order` (its passage's retrieval rank, then how well the sentence
    matches) leads, so citation [1] is the passage most likely to hold the answer. With nothing left, the caller
    quotes `lead` itself.
    """
    floor = FOCUS_SHARE * strongest.score
    on_topic = [c for c in claims if c.evidence is not None and c.evidence.score >= floor]
    if lead is not None:
        # ...unless the lead offers nothing of the kind asked for ("how many" and no number in it) and the
        # claim's evidence does: then the lower-ranked passage holds what the lead cannot.
        on_topic = [c for c in on_topic if c.evidence.order >= lead.order - ORDER_MARGIN
                    or (c.evidence.offers and not lead.offers)]
    return sorted(on_topic, key=lambda c: -c.evidence.order)


def _add_dense(ctx: AskContext, question: str, units: list[Evidence]) -> None:
    vecs = ctx.embed([question] + [u.text for u in units])
    for u, s in zip(units, vecs[1:] @ vecs[0]):
        u.dense = float(s)
        u.score += W_DENSE * max(u.dense, 0.0)


def _compose(claims, citations: list[Citation], numbered: dict[int, int], question: str | None = None) -> str:
    """The kept sentences, each followed by the marker of its (deduplicated) citation."""
    ids: dict[tuple[int, int, int], int] = {}
    parts = []
    for claim in claims:
        ev = claim.evidence
        key = (ev.chunk.id, ev.start, ev.end)
        if key not in ids:
            ids[key] = len(ids) + 1
            citations.append(to_citation(ids[key], ev, numbered.get(ev.chunk.id, 0), question))
        text = claim.text.rstrip()
        end = text[-1] if text and text[-1] in ".!?" else ""
        body = text[:-1] if end else text
        parts.append(f"{body} [{ids[key]}]{end or '.'}")
    return " ".join(parts)


def _prompt(ctx: AskContext, passages: list[ChunkRow], question: str,
            history: list[tuple[str, str]]) -> tuple[str, str]:
    """Prefix/suffix of the prompt; passages are dropped from the end if the exact count overflows n_ctx."""
    st = ctx.settings
    n_ctx = int(ctx.llm.effective_settings().get("n_ctx", st.n_ctx))
    keep = list(passages)
    while True:
        numbered = [NumberedSource(i, source_label(c.path, c.page, _lines(c)), c.text)
                    for i, c in enumerate(keep, start=1)]
        messages, tail = build_messages(SYSTEM, format_sources(numbered), question, history)
        prefix, suffix = split_prompt(ctx.llm.render_chat, messages, tail)
        used = ctx.llm.count_tokens(prefix + suffix)
        if used + st.max_answer_tokens <= n_ctx or len(keep) <= 1:
            if used + st.max_answer_tokens > n_ctx:
                raise ContextTooLargeError(f"The question and one passage need {used} tokens, more than "
                                           f"llm.n_ctx {n_ctx} allows with {st.max_answer_tokens} for the answer.")
            return prefix, suffix
        keep.pop()


def _lines(c: ChunkRow) -> tuple[int, int] | None:
    return (c.line_start, c.line_end) if c.line_start is not None else None


def _source(c: ChunkRow, number: int, score: float, question: str) -> Source:
    return to_source(c, number, score, question)


def _settings_out(ctx: AskContext, budget: int) -> dict:
    eff = dict(ctx.llm.effective_settings())
    eff["budget"] = budget
    return eff


def _timings(t0: float, retrieve_ms: float, stats) -> dict:
    total = (time.perf_counter() - t0) * 1000
    if stats is None:
        return {"retrieve_ms": round(retrieve_ms, 1), "first_token_ms": round(total, 1), "total_ms": round(total, 1),
                "prompt_tokens": 0, "completion_tokens": 0, "cache_hit": False}
    return {"retrieve_ms": round(retrieve_ms, 1), "first_token_ms": round(retrieve_ms + stats.first_token_ms, 1),
            "total_ms": round(total, 1), "prompt_tokens": stats.prompt_tokens,
            "completion_tokens": stats.completion_tokens, "cache_hit": stats.cache_hit,
            "cached_tokens": stats.cached_tokens, "prefill_tokens_per_s": round(stats.prefill_tokens_per_s, 1),
            "decode_tokens_per_s": round(stats.decode_tokens_per_s, 1)}


def _abstain(question: str, sources: list[Source], t0: float, retrieve_ms: float, context: dict, settings_out: dict,
             units: list[Evidence], stats=None, text: str = ABSTAIN_TEXT) -> Iterator[StreamEvent]:
    closest = []
    seen = set()
    for u in units:
        if u.chunk.id in seen:
            continue
        seen.add(u.chunk.id)
        closest.append(next(s for s in sources if s.chunk_id == u.chunk.id))
        if len(closest) >= 5:
            break
    yield TokenEvent(text)
    yield DoneEvent(Answer(question, text, True, [], closest or sources[:5], _timings(t0, retrieve_ms, stats),
                           settings_out, context))

