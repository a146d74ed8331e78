"""The reduce step of map-reduce answers: one model call combines the verified notes, and is verified again.

The model reads only the notes (each note sentence followed by the number of the source it was verified against,
under its part and pages), not the sources, so the prompt stays small whatever the document's length; when even
the notes overflow the context, the least relevant parts are left out. Its answer is checked sentence by sentence
against the units that supported the notes (each with its neighbours, as the notes were checked), so every
citation it keeps still resolves to an exact quote on its page. A small model often drops parts of the document or
invents while rewriting: the synthesis is used only when it keeps what the notes established (see `_judge`);
otherwise the caller joins the notes themselves.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..cancel import check
from ..types import StreamEvent, TokenEvent
from .evidence import Evidence
from .generation import stream_text
from .prompts import SYNTHESIS_SYSTEM, split_prompt
from .verify import Claim, verify

# Tokens kept free for the chat template's own tokens around the messages (counted exactly afterwards anyway).
TEMPLATE_MARGIN = 16
# A sentence of at least this many words with fewer distinct words than this share of them is a generation loop.
LOOP_MIN_WORDS = 16
LOOP_UNIQUE_SHARE = 0.4
# A claim needs this many words of letters to say something (contents pages yield "2 [1]." notes).
MIN_WORDS = 3


@dataclass
class Note:
    """What one part of the document (one group of sections) contributed: its verified sentences."""

    part: int
    claims: list[Claim]
    units: list[Evidence]  # every unit of the part, in document order: the notes' neighbours come from here

    @property
    def relevance(self) -> float:
        """How strongly the part's evidence matches the request (its best evidence unit's score)."""
        return max((c.evidence.score for c in self.claims if c.evidence is not None), default=0.0)


@dataclass
class Synthesis:
    """Outcome of the reduce call: the verified sentences to use, or None with the reason to join the notes."""

    kept: list[Claim] | None
    reason: str
    changes: dict[str, int] = field(default_factory=dict)
    stats: object | None = None  # GenerationStats of the call
    parts_in_prompt: int = 0
    parts_covered: int = 0
    notes_trimmed: int = 0
    ms: float = 0.0


_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])?(?=\s|$)")


def complete_sentences(text: str, stats) -> str:
    """`text` without its unfinished last sentence when generation stopped at the token limit (a cut-off
    "The Osprey lighthouse was built by" would otherwise pass verification as a claim)."""
    if getattr(stats, "finish_reason", "") != "length":
        return text
    ends = list(_SENTENCE_END.finditer(text))
    return text[: ends[-1].end()] if ends else text


def dedupe(claims: Sequence[Claim]) -> list[Claim]:
    """Claims without repeats (small models loop): the same words on the same quote count once, and a sentence
    that loops on itself ("powers and powers and powers …") or is a fragment is dropped, although sourced."""
    seen: set[tuple] = set()
    out = []
    for c in claims:
        ev = c.evidence
        words = re.findall(r"\w+", c.text.lower())
        if len(words) >= LOOP_MIN_WORDS and len(set(words)) < LOOP_UNIQUE_SHARE * len(words):
            continue
        if sum(w.isalpha() for w in words) < MIN_WORDS:
            continue  # "2 [1]." or "1973: October 1973" copied from a contents page says nothing
        key = (ev.chunk.id, ev.start, " ".join(words))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def note_page(ev: Evidence) -> int | None:
    """The page the evidence starts on (its chunk may begin on an earlier one)."""
    pages = [p for p, s, e, _ in ev.chunk.boxes if s < ev.end and e > ev.start]
    return pages[0] if pages else ev.chunk.page


def format_notes(notes: Sequence[Note], number_of: Mapping[int, int]) -> str:
    """Each part's notes under "Part g (p. 3-4):", one sentence a line ending with the [n] of its source, as the
    answer should look: the sources' own numbers, so the model's markers need no translation."""
    blocks = []
    for note in notes:
        pages = sorted({p for c in note.claims if (p := note_page(c.evidence)) is not None})
        where = f" (p. {pages[0]})" if len(pages) == 1 else (f" (p. {pages[0]}-{pages[-1]})" if pages else "")
        lines = []
        for c in note.claims:
            text = c.text.strip()
            body, end = (text[:-1], text[-1]) if text[-1:] in ".!?" else (text, ".")
            lines.append(f"{body} [{number_of[c.evidence.chunk.id]}]{end}")
        blocks.append(f"Part {note.part}{where}:\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def _messages(notes_text: str, question: str) -> tuple[list[dict], str]:
    tail = f"Request: {question}"
    return [{"role": "system", "content": SYNTHESIS_SYSTEM},
            {"role": "user", "content": f"Notes:\n\n{notes_text}\n\n{tail}"}], tail


def synthesis_prompt(llm, notes: list[Note], question: str, number_of: Mapping[int, int], limit: int
                     ) -> tuple[str, str, list[Note]]:
    """The prompt and the notes it holds: the least relevant parts are left out until it fits `limit` tokens.

    Returns:
        (prefix, suffix, notes in the prompt in document order); no notes when not even one part fits.
    """
    keep = list(notes)
    while keep:
        messages, tail = _messages(format_notes(keep, number_of), question)
        prefix, suffix = split_prompt(llm.render_chat, messages, tail)
        if llm.count_tokens(prefix + suffix) + TEMPLATE_MARGIN <= limit:
            return prefix, suffix, keep
        weakest = min(keep, key=lambda n: (n.relevance, -n.part))
        keep.remove(weakest)
    return "", "", []


def support_units(notes: Sequence[Note]) -> tuple[list[Evidence], dict[int, int]]:
    """The units that supported the notes plus their neighbours in the same chunk, in document order, and the
    part each belongs to (keyed by id(unit))."""
    chosen: dict[int, Evidence] = {}
    part_of: dict[int, int] = {}
    for note in notes:
        wanted = {id(c.evidence) for c in note.claims if c.evidence is not None}
        for i, u in enumerate(note.units):
            if id(u) not in wanted:
                continue
            for j in (i - 1, i, i + 1):
                if 0 <= j < len(note.units) and note.units[j].chunk.id == u.chunk.id:
                    chosen[id(note.units[j])] = note.units[j]
                    part_of[id(note.units[j])] = note.part
    ordered = [u for note in notes for u in note.units if id(u) in chosen]
    return ordered, part_of


def synthesize(ctx, question: str, notes: list[Note], number_of: Mapping[int, int], idf: Mapping[str, float],
               cancelled: Callable[[], bool], header: str) -> Iterator[StreamEvent]:
    """Stream the synthesis (after `header`) and return a `Synthesis` (use with `result = yield from ...`).

    Args:
        ctx: the AskContext (llm, embed, settings).
        question: the user's request.
        notes: the verified notes of each part that has some, in document order.
        number_of: source number [n] per chunk id.
        idf: idf per stem, for verification.
        cancelled: the cancel predicate.
        header: streamed before the synthesis tokens, so a reader of the stream sees where the answer starts.
    Raises:
        Cancelled: the reader stopped the answer.
    """
    t0 = time.perf_counter()
    st = ctx.settings
    n_ctx = int(ctx.llm.effective_settings().get("n_ctx", st.n_ctx))
    if st.effective_context:
        n_ctx = min(n_ctx, st.effective_context)
    prefix, suffix, used = synthesis_prompt(ctx.llm, notes, question, number_of, n_ctx - st.max_answer_tokens)
    result = Synthesis(None, "", notes_trimmed=len(notes) - len(used), parts_in_prompt=len(used))
    if not used:
        result.reason = "notes do not fit the context"
        return result
    check(cancelled)
    yield TokenEvent(header)
    text, result.stats = yield from stream_text(ctx.llm, prefix, suffix, st, cancelled)
    check(cancelled)
    text = complete_sentences(text, result.stats)
    units, part_of = support_units(used)
    checked = verify(text, question, units, lambda u: number_of[u.chunk.id], idf, ctx.embed)
    result.changes = checked.changes
    kept = dedupe(checked.kept)
    result.parts_covered = len({part_of[id(c.evidence)] for c in kept})
    result.reason = _judge(kept, checked.changes, result.parts_covered, len(used))
    if not result.reason:
        result.kept = kept
    result.ms = (time.perf_counter() - t0) * 1000
    return result


def _judge(kept: list[Claim], changes: Mapping[str, int], covered: int, parts: int) -> str:
    """Why the synthesis must not replace the joined notes ("" when it may): a small model must never make the
    answer worse than its own verified notes."""
    if not kept:
        return "nothing in the synthesis was supported"
    if covered < parts:
        return f"the synthesis covers {covered} of {parts} parts"
    if changes.get("removed_sentences", 0) > len(kept):
        return "most of the synthesis was unsupported"
    return ""
