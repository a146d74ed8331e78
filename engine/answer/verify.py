"""Citation verification: every sentence of a generated answer is checked against the sources' sentences.

A sentence is supported by a source unit when the facts it adds to the question (its words that are not the
question's) occur in that unit or its neighbouring sentence, and the two are close in meaning; a number or a name
it adds must be there.
A citation the model emitted is kept only if its source supports the sentence; otherwise it is moved to the
source that does, or dropped. A supported sentence without a citation gets one. Sentences nothing supports are
removed from the answer (a small model invents fluently); if none is left, the caller falls back to quoting the
best evidence.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..ingest.chunking import sentence_bounds
from ..retrieval.textmatch import content_stems, is_number, weighted_overlap
from .evidence import Evidence
from .prompts import says_not_found

# A capitalised word that does not start the sentence (nor follow a sentence end inside it).
_NAME = re.compile(r"(?<![.!?:\"“]\s)(?<!^)(?<!^[\"“])\b[A-Z][a-z]+")
# A code identifier: `anything in backticks`, a dotted or scoped name (read.fwf, os.path.join, std::vector),
# snake_case or lower camelCase. Like a name, it is a fact the source must contain word for word.
_IDENTIFIER = re.compile(r"`[^`\n]+`|\b[A-Za-z_]\w*(?:(?:\.|::|->)[A-Za-z_]\w*)+|\b[a-z]+_\w+|\b[a-z]+[A-Z]\w*")
_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")

# Support = W_NEW × share of the sentence's new facts found + W_ALL × share of all its words + W_COS × cosine.
W_NEW, W_ALL, W_COS = 0.5, 0.2, 0.3
SUPPORT_THRESHOLD = 0.55


@dataclass
class Claim:
    """One sentence of the answer with the citations the model gave it and the evidence that supports it."""

    text: str
    cited: list[int]
    support: float = 0.0
    evidence: Evidence | None = None


@dataclass
class Verified:
    """The checked answer: kept sentences, each with its evidence, and what verification changed."""

    claims: list[Claim]
    kept: list[Claim] = field(default_factory=list)
    changes: dict[str, int] = field(default_factory=lambda: {"kept": 0, "fixed": 0, "dropped": 0, "added": 0,
                                                               "removed_sentences": 0})
    said_not_found: bool = False


def split_claims(answer: str) -> list[Claim]:
    """Sentences of the answer with their [n] markers pulled out."""
    claims = []
    for a, b in sentence_bounds(answer.strip()):
        raw = answer.strip()[a:b]
        cited = [int(n) for m in _MARKER.finditer(raw) for n in re.split(r"\s*[,;]\s*", m.group(1))]
        text = _MARKER.sub("", raw).strip()
        if text:
            claims.append(Claim(text, cited))
    # a trailing marker after the final full stop belongs to the last sentence
    return claims


def support(claim_stems: set[str], new_stems: set[str], unit_stems: set[str], cos: float,
            idf: Mapping[str, float], names: set[str] = frozenset()) -> float:
    required = {s for s in new_stems if is_number(s)} | (names & new_stems)
    if required and not required <= unit_stems:
        return 0.0  # a number or a name the source does not contain is never supported
    new = weighted_overlap(new_stems, unit_stems, idf) if new_stems else 0.0
    every = weighted_overlap(claim_stems, unit_stems, idf)
    return W_NEW * new + W_ALL * every + W_COS * max(cos, 0.0)


def verify(answer: str, question: str, units: Sequence[Evidence], source_of: Callable[[Evidence], int],
           idf: Mapping[str, float], embed: Callable[[list[str]], np.ndarray] | None) -> Verified:
    """Check each answer sentence against the evidence units.

    Args:
        answer: generated text with [n] markers.
        question: the question (its words are not "new facts").
        units: every evidence unit of the sources the model read.
        source_of: the source number [n] a unit belongs to.
        idf: idf per stem.
        embed: sentence embedder (L2-normalised rows), None to use word evidence only.
    """
    claims = split_claims(answer)
    out = Verified(claims, said_not_found=says_not_found(answer))
    if not claims or not units:
        return out
    q = set(content_stems(question))
    window = _windows(units)
    own = [u.stems for u in units]
    cos = np.zeros((len(claims), len(units)))
    if embed is not None:
        vecs = embed([c.text for c in claims] + [u.text for u in units])
        cos = vecs[: len(claims)] @ vecs[len(claims):].T
    for i, claim in enumerate(claims):
        if says_not_found(claim.text):
            continue
        stems = set(content_stems(claim.text))
        new = stems - q
        if not new:
            continue  # restating the question is not an answer
        names = name_stems(claim.text)
        scores = [max(support(stems, new, own[j], float(cos[i, j]), idf, names),
                      0.9 * support(stems, new, window[j], float(cos[i, j]), idf, names))
                  for j in range(len(units))]
        # Among the units that support the sentence, the one that holds its new facts itself is quoted: a
        # neighbour may supply the sentence's subject ("It is a 5-cylinder engine" after a sentence naming the
        # engine), but the quote must show the fact the answer adds.
        shown = [weighted_overlap(new, own[j], idf) for j in range(len(units))]

        def rank(j: int) -> tuple[bool, float, float]:
            return scores[j] >= SUPPORT_THRESHOLD, shown[j], scores[j]

        best = max(range(len(units)), key=rank)
        claim.support = scores[best]
        if claim.support < SUPPORT_THRESHOLD:
            out.changes["removed_sentences"] += 1
            out.changes["dropped"] += len(claim.cited)
            continue
        cited_ok = [j for j in range(len(units)) if source_of(units[j]) in claim.cited
                    and scores[j] >= SUPPORT_THRESHOLD]
        if cited_ok:
            claim.evidence = units[max(cited_ok, key=rank)]
            out.changes["kept"] += 1
            out.changes["dropped"] += len(set(claim.cited)) - 1
        else:
            claim.evidence = units[best]
            out.changes["fixed" if claim.cited else "added"] += 1
        out.kept.append(claim)
    return out


def name_stems(sentence: str) -> set[str]:
    """Stems of the capitalised names inside a sentence (not its first word) and of its code identifiers: "the
    Sydney Cricket Ground" in an answer about the Melbourne one, or `read.systat` in one about `read.fortran`, is a
    different fact, however many other words the two sentences share."""
    found = [m.group(0) for m in _NAME.finditer(sentence)] + [m.group(0) for m in _IDENTIFIER.finditer(sentence)]
    return {s for name in found for s in content_stems(name)}


def _windows(units: Sequence[Evidence]) -> list[set[str]]:
    """Each unit's stems together with its neighbours' in the same chunk (facts often span two sentences)."""
    by_chunk: dict[int, list[Evidence]] = {}
    for u in units:
        by_chunk.setdefault(u.chunk.id, []).append(u)
    near: dict[int, set[str]] = {}
    for group in by_chunk.values():
        group.sort(key=lambda u: u.start)
        for k, u in enumerate(group):
            s = set(u.stems)
            for m in (k - 1, k + 1):
                if 0 <= m < len(group):
                    s |= group[m].stems
            near[id(u)] = s
    return [near[id(u)] for u in units]
