"""Turning answers into the transcript's HTML (with clickable [n] markers) and into Markdown for the clipboard.

Qt's rich text is a small HTML subset: boxes are one-cell tables with a background colour, and colours come from the
palette so the transcript reads in light and dark mode.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from engine import Citation, Source

from engine import Turn
from ..qt import QPalette
from . import style

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
BULLET = re.compile(r"^\s*([-*•]|\d+[.)])\s")
MAX_QUOTE = 220


@dataclass
class Colours:
    text: str
    quiet: str
    link: str
    card: str
    info: str
    error: str
    error_bg: str
    warn: str

    @classmethod
    def from_palette(cls, pal: QPalette) -> "Colours":
        return cls(text=pal.color(QPalette.ColorRole.Text).name(), quiet=style.secondary_color(pal).name(),
                   link=style.link_color(pal).name(), card=style.card_background(pal).name(),
                   info=style.info_background(pal).name(), error=style.error_color(pal).name(),
                   error_bg=style.error_background(pal).name(), warn=style.warn_background(pal).name())


def where(item: Citation | Source) -> str:
    """A citation's place as a reader says it: "report.pdf, p. 41" or "app.py, lines 10–24"."""
    name = Path(item.path).name
    if item.page:
        end = getattr(item, "page_end", None)
        return f"{name}, pp. {item.page}–{end}" if end and end != item.page else f"{name}, p. {item.page}"
    if item.lines:
        a, b = item.lines
        return f"{name}, line {a}" if a == b else f"{name}, lines {a}–{b}"
    return name


def markers(text: str) -> list[int]:
    """The citation numbers an answer uses, in order of first appearance."""
    seen: list[int] = []
    for m in MARKER.finditer(text):
        for n in m.group(1).split(","):
            if int(n) not in seen:
                seen.append(int(n))
    return seen


def _inline(text: str, turn: int, c: Colours) -> str:
    """Escape, then the little Markdown a model writes (**bold**, `code`), then [n] → links."""
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*([^*\n]+)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", out)

    def link(m: re.Match) -> str:
        nums = [n.strip() for n in m.group(1).split(",")]
        return "".join(f'<a href="cite:{turn}:{n}" style="color:{c.link}; text-decoration:none; '
                       f'font-weight:600">[{n}]</a>' for n in nums)

    return MARKER.sub(link, out)


def body_html(text: str, turn: int, c: Colours) -> str:
    """Paragraphs and bullet lists of an answer, with its markers as links."""
    blocks = []
    for para in re.split(r"\n\s*\n", text.strip()):
        lines = para.split("\n")
        if all(BULLET.match(ln) for ln in lines if ln.strip()):
            items = "".join(f"<li>{_inline(BULLET.sub('', ln), turn, c)}</li>" for ln in lines if ln.strip())
            blocks.append(f"<ul style='margin-top:0px; margin-bottom:6px'>{items}</ul>")
        else:
            blocks.append(f"<p style='margin-top:0px; margin-bottom:8px'>{'<br>'.join(_inline(ln, turn, c) for ln in lines)}</p>")
    return "".join(blocks)


def _box(inner: str, bg: str) -> str:
    return (f"<table width='100%' cellspacing='0' cellpadding='10' style='margin-top:2px; margin-bottom:6px'>"
            f"<tr><td style='background-color:{bg}'>{inner}</td></tr></table>")


def _citation_line(cit: Citation, turn: int, c: Colours) -> str:
    quote = cit.quote.strip().replace("\n", " ")
    if len(quote) > MAX_QUOTE:
        quote = quote[:MAX_QUOTE].rsplit(" ", 1)[0] + "…"
    return (f"<a href='cite:{turn}:{cit.id}' style='color:{c.link}; text-decoration:none; font-weight:600'>"
            f"[{cit.id}]</a> <a href='cite:{turn}:{cit.id}' style='color:{c.text}; text-decoration:none'>"
            f"{html.escape(where(cit))}</a>"
            + (f"<br><span style='color:{c.quiet}'>“{html.escape(quote)}”</span>" if quote else ""))


def _source_line(src: Source, turn: int, c: Colours) -> str:
    text = " ".join(src.text.split())
    if len(text) > MAX_QUOTE:
        text = text[:MAX_QUOTE].rsplit(" ", 1)[0] + "…"
    return (f"<a href='source:{turn}:{src.rank}' style='color:{c.link}; text-decoration:none; font-weight:600'>"
            f"{html.escape(where(src))}</a><br><span style='color:{c.quiet}'>{html.escape(text)}</span>")


def turn_html(turn: Turn, index: int, c: Colours, streaming: bool = False) -> str:
    """One question and its answer (or its abstention, error, or the part generated before Stop)."""
    parts = [_box(f"<span style='color:{c.quiet}'>You asked</span><br>"
                  f"<b>{html.escape(turn.question)}</b>", c.card)]
    if turn.error:
        parts.append(_box(f"<b style='color:{c.error}'>No answer.</b> {html.escape(turn.error)}", c.error_bg))
        return "".join(parts)
    if turn.abstained:
        inner = ("<b>Not found in your library</b><br>"
                 f"<span style='color:{c.quiet}'>Lectern could not find passages that answer this, so it does not "
                 "guess. The closest passages are below; rephrasing the question or widening the scope may help."
                 "</span>")
        if turn.answer.strip():
            inner += f"<p style='margin-top:8px; margin-bottom:0px'>{_inline(turn.answer.strip(), index, c)}</p>"
        parts.append(_box(inner, c.info))
        if turn.sources:
            lines = "".join(f"<p style='margin-top:0px; margin-bottom:6px'>{_source_line(s, index, c)}</p>"
                            for s in turn.sources[:5])
            parts.append(f"<p style='margin-top:6px; margin-bottom:4px'><b>Closest passages</b></p>{lines}")
        return "".join(parts)
    if turn.answer.strip():
        parts.append(body_html(turn.answer, index, c))
    elif streaming:
        status = "Reading the passages…" if turn.sources else "Looking for passages…"
        parts.append(f"<p style='color:{c.quiet}'><i>{status}</i></p>")
    if streaming and turn.answer.strip():
        parts.append(f"<span style='color:{c.quiet}'>▍</span>")
    if turn.stopped:
        parts.append(f"<p style='color:{c.quiet}'><i>Stopped.</i></p>")
    if turn.citations and not streaming:
        lines = "".join(f"<p style='margin-top:0px; margin-bottom:6px'>{_citation_line(ci, index, c)}</p>"
                        for ci in sorted(turn.citations, key=lambda x: x.id))
        parts.append(f"<p style='margin-top:4px; margin-bottom:4px; color:{c.quiet}'>Citations</p>{lines}")
    return "".join(parts)


def welcome_html(c: Colours) -> str:
    return (f"<div style='color:{c.quiet}'><p style='margin-top:12px'><b style='color:{c.text}'>Ask your library"
            f"</b></p><p>Questions are answered from your documents only, with numbered citations. Click a "
            f"<span style='color:{c.link}'><b>[1]</b></span> to open the page with the quoted words highlighted."
            f"</p><p>Choose the scope above: the open document, the documents selected in the library, or all of "
            f"it.</p></div>")


def context_line(turn: Turn) -> str:
    """"Read 2,341 of 3,072 tokens · passages retrieved · cache hit · 4.2 s" from the answer's context and timings."""
    ctx, t = turn.context or {}, turn.timings or {}
    bits = []
    used, budget = ctx.get("context_tokens"), ctx.get("budget")
    if isinstance(used, (int, float)):
        bits.append(f"Read {int(used):,} of {int(budget):,} tokens" if isinstance(budget, (int, float))
                    else f"Read {int(used):,} tokens")
    mode = ctx.get("mode")
    if mode:
        bits.append({"full": "documents read in full", "retrieved": "passages retrieved",
                     "map-reduce": "summarised section by section"}.get(str(mode), str(mode)))
    reduce = ctx.get("reduce")
    if reduce in ("synthesis", "joined"):
        # Whether the model's combined answer held up against its sources, or its section notes are shown as they are.
        bits.append("notes combined by the model" if reduce == "synthesis" else "section notes joined")
    docs = ctx.get("documents")
    if isinstance(docs, (list, tuple)) and docs:
        bits.append(f"{len(docs)} document{'s' if len(docs) != 1 else ''}")
    elif isinstance(docs, int) and docs:
        bits.append(f"{docs} document{'s' if docs != 1 else ''}")
    if "cache_hit" in t:
        bits.append("cache hit" if t["cache_hit"] else "no cache hit")
    total = t.get("total_ms")
    if isinstance(total, (int, float)) and total:
        bits.append(f"{total / 1000:.1f} s")
    return " · ".join(bits)


def turn_markdown(turn: Turn) -> str:
    """The answer as Markdown with its citations (file + page or lines, and the quote) — for the clipboard."""
    out = [f"**Q:** {turn.question}", ""]
    if turn.abstained:
        out.append("_Not found in the library._")
        if turn.answer.strip():
            out += ["", turn.answer.strip()]
    else:
        out.append(turn.answer.strip())
    if turn.citations:
        out += ["", "**Citations**", ""]
        for cit in sorted(turn.citations, key=lambda x: x.id):
            quote = " ".join(cit.quote.split())
            out.append(f"[{cit.id}] {where(cit)}" + (f" — “{quote}”" if quote else ""))
    elif turn.abstained and turn.sources:
        out += ["", "**Closest passages**", ""]
        out += [f"- {where(s)}" for s in turn.sources[:5]]
    return "\n".join(out).strip() + "\n"
