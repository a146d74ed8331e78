"""Packing text units (sentences, lines) into embedder-sized chunks, independent of the file format.

An ingester cuts its text into `Unit`s: a sentence of a PDF, a line of a code file. Each unit knows where it sits
in the source text (`start`), what separates it from the unit before it (`joiner`), and may carry `spans`: pieces of
its text tagged with whatever the ingester needs to map text back to the file (a PDF line's page and rectangle, a
code line's number). `pack_units` groups consecutive units into chunks of at most `max_tokens` embedder tokens,
splitting a unit that is too long on its own at word boundaries (its spans are clipped to the pieces), and
`join_units` turns one chunk back into its text with the spans re-based onto that text.

Typical use (a code file, one unit per line):

    units = line_units(source)                     # Span data = 1-based line number
    for group in pack_units(units, 200, count_tokens):
        text, spans = join_units(group)
        first_line, last_line = spans[0].data, spans[-1].data

If the source text is the join of all its units (as `line_units` builds it), a chunk's text is exactly
`source[group[0].start : group[-1].end]`.

Token counts come from the caller's `TokenCounter`, called in one batch per `pack_units` call (plus one batch for
the words of over-long units, if any). A chunk's size is the sum of its units' counts plus the counter's fixed
overhead per string (special tokens such as [CLS]/[SEP], measured by counting ""); for WordPiece tokenizers this is
exact, for BPE ones it can be off by a token at unit joins.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

TokenCounter = Callable[[list[str]], list[int]]
"""Counts embedder tokens for a batch of strings (one count per string, same order)."""

_WORD = re.compile(r"\S+")
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and a likely sentence
# start. Abbreviations like "e.g. the" stay joined because a lower-case word follows.
_SENTENCE_END = re.compile(r"[.!?]['\")\]]*(?=\s+[\"'(\[]?[A-Z0-9])")
# Words whose full stop does not end a sentence before a capital: titles, "St. Louis", "Fig. 3", "Jan. 1900", and
# initials ("U.S.", "J."), checked by _ends_with_abbreviation.
_ABBREVIATIONS = frozenset("mr mrs ms dr prof st mt ft jr sr rev gen col capt lt sgt gov sen rep pres vs etc al "
                           "fig figs eq eqs vol vols ch pp inc ltd corp dept univ approx ca "
                           "jan feb mar apr jun jul aug sep sept oct nov dec".split())
_INITIALS = re.compile(r"^(?:[A-Z]\.)+$")


class Span(NamedTuple):
    """A piece of a unit's (or chunk's) text, [start, end) in characters, tagged with ingester data."""

    start: int
    end: int
    data: Any


@dataclass(frozen=True)
class Unit:
    """The smallest run of text a chunk boundary may not cut (unless the unit alone is too long).

    Attributes:
        text: the unit's text, without the separator before it.
        start: offset of `text` in the source text (e.g. the section text); only propagated, never interpreted.
        joiner: what separates this unit from the previous one inside a chunk (" " for sentences, "\\n" for lines).
        spans: pieces of `text` with data attached (offsets relative to `text`); clipped when a unit is split.
    """

    text: str
    start: int = 0
    joiner: str = " "
    spans: tuple[Span, ...] = ()

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def word_estimate_counter(texts: Sequence[str]) -> list[int]:
    """A cheap stand-in for an embedder tokenizer: about 1.3 tokens per whitespace-separated word.

    Args:
        texts: strings to measure.
    Returns:
        One estimated token count per string ("" counts 0, so there is no per-string overhead).
    """
    out = []
    for t in texts:
        n = len(t.split())
        out.append(max(1, round(n * 1.3)) if n else 0)
    return out


def pack_units(units: list[Unit], max_tokens: int, count_tokens: TokenCounter,
               overlap_units: int = 0) -> list[list[Unit]]:
    """Group consecutive units into chunks of at most `max_tokens` tokens.

    Args:
        units: the units of one region that chunks must not leave (a section, a file), in order.
        max_tokens: the longest chunk, in the counter's tokens (including its per-string overhead).
        count_tokens: batch token counter of the embedder.
        overlap_units: how many trailing units of a chunk are repeated at the start of the next one (as long as
            they fit next to the new unit).
    Returns:
        The chunks, each a non-empty list of units in order. A unit longer than `max_tokens` is replaced by pieces
        split at word boundaries (a single word longer than that is cut inside the word); pieces keep `start`,
        the original whitespace as `joiner`, and clipped `spans`.
    Raises:
        ValueError: if `max_tokens` leaves no room after the counter's overhead.
    """
    if not units:
        return []
    counts = count_tokens([u.text for u in units] + [""])
    overhead = counts[-1]
    budget = max_tokens - overhead
    if budget < 1:
        raise ValueError(f"max_tokens={max_tokens} leaves no room after {overhead} special tokens")
    costs = [max(0, c - overhead) for c in counts[:-1]]

    items: list[tuple[Unit, int]] = []
    long_idx = [i for i, c in enumerate(costs) if c > budget]
    split = (_split_long([units[i] for i in long_idx], [costs[i] for i in long_idx], budget, overhead, count_tokens)
             if long_idx else [])
    pieces = dict(zip(long_idx, split))
    for i, (u, c) in enumerate(zip(units, costs)):
        if i in pieces:
            items.extend(pieces[i])
        else:
            items.append((u, c))

    chunks: list[list[Unit]] = []
    cur: list[tuple[Unit, int]] = []
    cur_cost = 0
    for unit, cost in items:
        if cur and cur_cost + cost > budget:
            chunks.append([u for u, _ in cur])
            keep = cur[-overlap_units:] if overlap_units > 0 else []
            while keep and sum(c for _, c in keep) + cost > budget:
                keep = keep[1:]
            cur, cur_cost = list(keep), sum(c for _, c in keep)
        cur.append((unit, cost))
        cur_cost += cost
    if cur:
        chunks.append([u for u, _ in cur])
    return chunks


def _split_long(long_units: list[Unit], long_costs: list[int], budget: int, overhead: int,
                count_tokens: TokenCounter) -> list[list[tuple[Unit, int]]]:
    """Split over-long units at word boundaries; returns each unit's (piece, cost) list, in order."""
    words_per_unit = [list(_WORD.finditer(u.text)) for u in long_units]
    flat = [m.group() for ws in words_per_unit for m in ws]
    wcounts = [max(0, c - overhead) for c in count_tokens(flat)] if flat else []
    out: list[list[tuple[Unit, int]]] = []
    k = 0
    for unit, unit_cost, words in zip(long_units, long_costs, words_per_unit):
        # Words counted alone can sum to less than the whole (a counter that is not additive): scale them up so the
        # pieces still fit.
        wsum = sum(wcounts[k:k + len(words)]) or 1
        scale = max(1.0, unit_cost / wsum)
        groups: list[tuple[int, int, float]] = []  # (char start, char end, cost) in unit.text
        g_start = g_end = g_cost = None
        for m in words:
            c = wcounts[k] * scale
            k += 1
            if c > budget:  # one enormous "word" (base64, a URL): cut it by characters
                if g_start is not None:
                    groups.append((g_start, g_end, g_cost))
                    g_start = None
                groups.extend(_split_word(m.start(), m.end(), round(c), budget))
                continue
            if g_start is not None and g_cost + c <= budget:
                g_end, g_cost = m.end(), g_cost + c
            else:
                if g_start is not None:
                    groups.append((g_start, g_end, g_cost))
                g_start, g_end, g_cost = m.start(), m.end(), c
        if g_start is not None:
            groups.append((g_start, g_end, g_cost))
        pieces = []
        prev_end = 0
        for j, (a, b, c) in enumerate(groups):
            joiner = unit.joiner if j == 0 else (unit.text[prev_end:a] or " ")
            pieces.append((_slice_unit(unit, a, b, joiner), min(budget, round(c + 0.499))))
            prev_end = b
        out.append(pieces)
    return out


def _split_word(a: int, b: int, cost: int, budget: int) -> list[tuple[int, int, int]]:
    """Cut the characters [a, b) into pieces whose estimated cost (proportional to length) fits the budget."""
    n = max(2, -(-cost * 10 // (budget * 9)))  # leave 10% slack: token density varies along a word
    size = max(1, -(-(b - a) // n))
    return [(s, min(b, s + size), -(-cost * (min(b, s + size) - s) // (b - a))) for s in range(a, b, size)]


def _slice_unit(unit: Unit, a: int, b: int, joiner: str) -> Unit:
    spans = tuple(Span(max(s.start, a) - a, min(s.end, b) - a, s.data)
                  for s in unit.spans if s.end > a and s.start < b)
    return replace(unit, text=unit.text[a:b], start=unit.start + a, joiner=joiner, spans=spans)


def join_units(units: Sequence[Unit]) -> tuple[str, list[Span]]:
    """The text of a chunk and its units' spans re-based onto that text.

    Args:
        units: one chunk as returned by `pack_units`.
    Returns:
        (text, spans): units joined with their `joiner`s (the first unit's joiner is dropped), and every span of
        every unit with offsets into `text`.
    """
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    for i, u in enumerate(units):
        if i:
            parts.append(u.joiner)
            pos += len(u.joiner)
        spans.extend(Span(s.start + pos, s.end + pos, s.data) for s in u.spans)
        parts.append(u.text)
        pos += len(u.text)
    return "".join(parts), spans


def line_units(text: str, first_line: int = 1) -> list[Unit]:
    """One unit per line of `text` (joined by "\\n"), each with a single span whose data is its 1-based line number.

    `join_units` of all of them gives back `text` without a trailing newline; `start` offsets index into `text`.
    """
    units = []
    pos = 0
    for n, raw in enumerate(text.split("\n")):
        line = raw[:-1] if raw.endswith("\r") else raw  # "\r\n" files: offsets still index the original text
        units.append(Unit(line, pos, "\n", (Span(0, len(line), first_line + n),)))
        pos += len(raw) + 1
    return units


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence of prose `text`, whitespace between sentences excluded.

    A sentence ends at ., ! or ? followed by whitespace and an upper-case letter, digit, or opening quote/bracket;
    so "e.g. this" and "3.14" do not end one. Good enough for chunk boundaries, which only need to avoid cutting
    mid-sentence most of the time.
    """
    out = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        if text[m.start()] == "." and _ends_with_abbreviation(text, m.start()):
            continue  # "the U.S. Government", "Dr. Smith", "J. S. Bach": the sentence goes on
        _append_trimmed(out, text, pos, m.end())
        pos = m.end()
    _append_trimmed(out, text, pos, len(text))
    return out


def _ends_with_abbreviation(text: str, dot: int) -> bool:
    """Is the word that ends at `text[dot]` (a full stop) an abbreviation or an initial rather than a sentence end?"""
    start = dot
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:dot + 1].lstrip("\"'([")
    return bool(_INITIALS.match(word)) or word[:-1].lower() in _ABBREVIATIONS


def _append_trimmed(out: list[tuple[int, int]], text: str, a: int, b: int) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        out.append((a, b))
