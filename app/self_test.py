"""`lectern --self-test`: prove that an installed Lectern works end to end, headless, without a window.

It opens a temporary library, ingests the small PDF shipped in `resources/self-test.pdf`, asks a question with the
packaged model through the engine facade and checks that a citation points at the right page and that its quote is
really printed there. A packaged bundle runs it after every build (packaging/check.sh); a user can run it to tell a
broken install from a document Lectern cannot read.

No Qt here: the self-test must pass on a machine without a display, so it imports only the engine.
"""
from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# The booklet's text, one list of lines per page (the first line is the page's heading). Written for this test:
# each page holds one fact found nowhere else, so a citation on another page is a retrieval or citation bug.
PAGES: list[list[str]] = [
    ["The Harrow Point Light",
     "This booklet describes the lighthouse on Harrow Point and how its keepers look after it.",
     "The tower was built from grey granite quarried on the island of Stroma.",
     "It stands forty-one metres tall and has one hundred and ninety steps to the lamp room."],
    ["The lamp and its signal",
     "The lamp of the Harrow Point Light turns once every twelve seconds.",
     "Ships recognise the light by this rhythm: a single white flash, then darkness.",
     "In fog the keepers also sound a horn twice each minute."],
    ["Keeping the light",
     "The keepers clean the lens with vinegar and soft cloths every Sunday.",
     "Paraffin for the old lamp was stored in a shed behind the tower, away from the living quarters.",
     "Since the light became automatic, a technician visits once a month."],
]
QUESTION = "How often does the lamp of the Harrow Point Light turn?"
ANSWER_PAGE = 2  # 1-based
PDF_NAME = "self-test.pdf"
# The small model tends to write until the limit; the citation it needs comes in the first sentence, and on a busy
# 2-core machine each 100 tokens cost tens of seconds.
ANSWER_TOKENS = 128


@dataclass
class SelfTestReport:
    """What the self-test found: whether it passed, why not, and how long each step took (seconds)."""

    ok: bool = False
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"Lectern self-test: {'PASSED' if self.ok else 'FAILED'}" + (f": {self.message}" if self.message
                                                                           else "")]
        out += [f"  {k:<28} {v}" for k, v in self.facts.items()]
        out += [f"  {k + ' (s)':<28} {v:.2f}" for k, v in self.timings.items()]
        return out


def self_test_pdf() -> Path:
    """The booklet PDF: beside the bundle's data when frozen, else in the source tree's `resources/`."""
    from engine import bundle_dir

    base = bundle_dir()
    root = base if base is not None else Path(__file__).resolve().parent.parent
    return root / "resources" / PDF_NAME


def run_self_test(pdf: Path | None = None, *, engine_factory: Callable | None = None,
                  say: Callable[[str], None] = lambda _line: None) -> SelfTestReport:
    """Ingest the booklet into a temporary library, ask QUESTION, check the citation.

    Args:
        pdf: the booklet (default: `self_test_pdf()`).
        engine_factory: opens an Engine on a folder (default: default settings with ANSWER_TOKENS).
        say: called with a line of progress for each step.

    Returns:
        The report; `ok` is False with a message on any failure (nothing is raised).
    """
    report = SelfTestReport()
    start = time.perf_counter()
    try:
        from engine import Engine  # noqa: F401 - timed here: the engine's own import is part of the start-up

        report.timings["import engine"] = time.perf_counter() - start
        _run(report, pdf or self_test_pdf(), engine_factory, say)
    except Exception as exc:  # the self-test reports failures in words instead of a traceback
        report.ok, report.message = False, f"{type(exc).__name__}: {exc}"
    report.timings["total"] = time.perf_counter() - start
    return report


def _run(report: SelfTestReport, pdf: Path, engine_factory: Callable | None, say: Callable[[str], None]) -> None:
    if not pdf.is_file():
        report.message = f"the self-test PDF {pdf} is missing"
        return
    with tempfile.TemporaryDirectory(prefix="lectern-self-test-") as tmp:
        t = time.perf_counter()
        engine = (engine_factory or _open_engine)(Path(tmp) / "library")
        with engine:
            say("ingesting the self-test PDF…")
            ingest = engine.ingest([str(pdf)])
            report.timings["ingest (with embedder)"] = time.perf_counter() - t
            statuses = [f.status for f in ingest.files]
            if statuses != ["indexed"]:
                report.message = f"ingesting {pdf.name} gave {statuses}: {[f.error for f in ingest.files]}"
                return
            embedder = engine.embedder
            report.facts["embedder"] = f"{embedder.name} on {embedder.backend} ({embedder.precision})"
            say("asking the packaged model…")
            t = time.perf_counter()
            answer = engine.ask(QUESTION)
            report.timings["ask (with model load)"] = time.perf_counter() - t
            report.facts["model"] = _model_name(engine)
            report.facts["answer"] = " ".join(answer.answer.split())[:100]
            stats = answer.timings
            if "prompt_tokens" in stats:
                report.facts["tokens"] = (f"{stats.get('prompt_tokens')} read, {stats.get('completion_tokens')} "
                                          f"written, first after {float(stats.get('first_token_ms', 0)) / 1000:.1f} s")
            report.facts["torch imported"] = "yes" if "torch" in sys.modules else "no"
            report.message, report.facts["citation"] = _check_citations(engine, pdf, answer)
            report.ok = not report.message


def _open_engine(library: Path):
    """The library with default settings, except a shorter answer (see ANSWER_TOKENS)."""
    from engine import Engine, Settings

    settings = Settings()
    settings.llm.max_answer_tokens = ANSWER_TOKENS
    return Engine.open(library, settings=settings)


def _model_name(engine) -> str:
    from engine import packaged_gguf_path

    return Path(engine.settings.llm.model_path or packaged_gguf_path()).name


def _check_citations(engine, pdf: Path, answer) -> tuple[str, str]:
    """('', the citation) when one names page ANSWER_PAGE of the booklet and its quote is printed there; else
    (why not, what was cited)."""
    if answer.abstained or not answer.citations:
        return f"the answer has no citation (abstained: {answer.abstained}): {answer.answer!r}", "none"
    seen = []
    for cit in answer.citations:
        seen.append(f"page {cit.page}: {' '.join(cit.quote.split())[:70]!r}")
        if Path(cit.path).resolve() != pdf.resolve() or cit.page != ANSWER_PAGE:
            continue
        if engine.quote_rects(str(pdf), cit.page, cit.quote):
            return "", seen[-1]
        return f"the quote {cit.quote!r} is not printed on page {cit.page}", seen[-1]
    return f"no citation points at page {ANSWER_PAGE}", "; ".join(seen)


def main(argv: list[str] | None = None) -> int:
    """Run the self-test and print its report; 0 when it passed, 1 when not."""
    def say(line: str) -> None:
        print(line, flush=True)

    report = run_self_test(say=say)
    for line in report.lines():
        print(line, flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
