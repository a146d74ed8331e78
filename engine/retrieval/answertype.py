"""What kind of answer a question expects, and whether a sentence offers one.

A classic question-answering cue: "how many" wants a number, "when" a date, "who" a name. A sentence that
repeats the question's words but offers nothing of the expected kind is rarely the answer, and a library whose
best passages offer nothing of that kind probably does not answer the question.
"""
from __future__ import annotations

import re

from .query import fold

_TYPES = [
    ("number", re.compile(r"\b(how (many|much|long|far|old|large|big|tall|high|fast|often)|what (percentage|"
                          r"percent|proportion|fraction|number|amount|size|distance|temperature|speed)|"
                          r"how many)\b", re.I)),
    ("date", re.compile(r"\b(when|what (year|century|decade|date|month|day|time|period|era)|which (year|century|"
                        r"decade)|in what year|since when|until when)\b", re.I)),
    ("person", re.compile(r"\b(who|whom|whose|which (person|man|woman|king|queen|president|author|scientist)|"
                          r"what (person|man|woman|king|queen|president|author|scientist))\b", re.I)),
    ("place", re.compile(r"\b(where|what (country|city|state|region|place|town|river|sea|island|continent|"
                         r"location)|which (country|city|state|region|place|town|river|sea|island|continent))\b",
                         re.I)),
]

_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                 "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
                 "hundreds thousand thousands million millions billion billions trillion dozen dozens half "
                 "quarter third twice double triple percent").split()
_NUMBER = re.compile(r"\d|\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)
_MONTHS = ("january february march april may june july august september october november december").split()
_DATE = re.compile(r"\b(1\d{3}|20\d{2}|\d{3,4}s|\d{1,2}(st|nd|rd|th) century|(" + "|".join(_MONTHS) + r")|"
                   r"(spring|summer|autumn|fall|winter) of|bc|ad|bce|ce)\b", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+(?:[A-Z][a-z]+|de|von|van|of|la|le))*")


_WH = re.compile(r"\b(what|which|who|whom|whose|how|where|why|when)\b", re.I)
_BARE = frozenset({"when", "who", "whom", "whose", "where"})


def answer_type(question: str) -> str:
    """number | date | person | place | other.

    A bare "when", "who" or "where" sets the kind only as the question's own wh-word, not inside a clause:
    "What happens when the server answers 401?" does not ask for a date, nor "Which function decides ... when a
    redirect goes to another host?"."""
    first = _WH.search(question)
    lead = first.group(1).lower() if first else ""
    for name, pattern in _TYPES:
        for m in pattern.finditer(question):
            word = m.group(0).lower()
            if word in _BARE and word != lead:
                continue
            return name
    return "other"


_AUX = frozenset("is are was were be been do does did has have had can could will would shall should may might must "
                 "of in on at to for by from with about the a an".split())
_ASKED = re.compile(r"\b(?:what|which|how (?:many|much))\s+((?:[\w'-]+\s+){0,2}[\w'-]+)", re.I)


def asked_for(question: str) -> list[str]:
    """The words naming what the answer is ("What *textile industry* did ...", "How many *pumps* ..."): the
    answer is usually written next to them. Up to three words after the wh-word, stopping at an auxiliary or
    a preposition; empty for questions without such a phrase ("Who", "When", "Why")."""
    m = _ASKED.search(question)
    if not m:
        return []
    words = []
    for w in m.group(1).split():
        if w.lower() in _AUX:
            break
        words.append(w)
    return words


def offers(sentence: str, kind: str, question: str) -> bool:
    """Does `sentence` contain something of `kind` that the question does not already mention?"""
    if kind == "other":
        return True
    q = fold(question).lower()
    s = fold(sentence)
    if kind == "number":
        return any(m.group(0).lower() not in q for m in _NUMBER.finditer(s))
    if kind == "date":
        return any(m.group(0).lower() not in q for m in _DATE.finditer(s))
    # person / place: a capitalised name not in the question
    return any(m.group(0).lower() not in q for m in _NAME.finditer(s))
