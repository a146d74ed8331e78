"""Running the benchmark: sizes for a full and a quick run, the inputs, and each section in turn.

A section that fails is recorded with its error and the others still run: a long benchmark must not lose an hour
of figures to one broken part. Generated inputs (the long book, the search library) live under the bench cache
folder (`<Lectern cache>/bench`, or `--cache DIR`) and are reused by later runs.
"""
from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable
from pathlib import Path

SECTIONS = ("ingest", "search", "llm", "memory", "retrieval")
BOOK_VERSION = 1  # bump when the generator changes


@dataclasses.dataclass
class BenchSizes:
    pdf_pages: int  # the generated long PDF, when no --pdf is given
    library_pages: int  # the search library
    queries: int
    ttft_pages: int  # the fully-read document for time to first token (must fit the default budget)
    prefix_tokens: int  # prompt length for prefill engine vs raw
    rounds: int
    decode_tokens: int
    memory_n_ctx: int
    eval_limit: int | None  # questions of the QA set (None: all)


FULL = BenchSizes(pdf_pages=1000, library_pages=5000, queries=200, ttft_pages=4, prefix_tokens=3500, rounds=3,
                  decode_tokens=64, memory_n_ctx=32768, eval_limit=None)
QUICK = BenchSizes(pdf_pages=100, library_pages=500, queries=50, ttft_pages=2, prefix_tokens=1000, rounds=2,
                   decode_tokens=24, memory_n_ctx=8192, eval_limit=30)


@dataclasses.dataclass
class BenchOptions:
    quick: bool = False
    sections: tuple[str, ...] = SECTIONS
    pdf: Path | None = None
    eval_set: Path | None = None
    cache: Path | None = None
    sizes: BenchSizes | None = None  # None: FULL or QUICK

    def resolved_sizes(self) -> BenchSizes:
        return self.sizes or (QUICK if self.quick else FULL)

    def cache_folder(self) -> Path:
        if self.cache is not None:
            return Path(self.cache)
        from ..paths import cache_dir

        return cache_dir() / "bench"


def long_pdf(options: BenchOptions, say: Callable[[str], None]) -> tuple[Path, bool]:
    """The PDF to ingest: --pdf, else a generated book cached under the bench folder. Returns (path, generated)."""
    if options.pdf is not None:
        return Path(options.pdf).expanduser().resolve(), False
    from .corpus import make_book

    pages = options.resolved_sizes().pdf_pages
    path = options.cache_folder() / f"book-{pages}p-v{BOOK_VERSION}.pdf"
    if not path.exists():
        say(f"generating a {pages:,}-page book…")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part.pdf")
        make_book(partial, pages, seed=1)
        partial.replace(path)
    return path, True


def run_bench(options: BenchOptions, *, say: Callable[[str], None] = lambda _: None, progress=None,
              on_section: Callable[[dict], None] | None = None) -> dict:
    """Run the chosen sections and return every figure, the machine and the inputs as one plain dict.

    Args:
        options: which sections, sizes, inputs and cache folder.
        say: one-line progress messages for the user.
        progress: the engine's progress callback, passed to the long ingests.
        on_section: called with the results so far after each section (the CLI rewrites the report, so an
            interrupted run keeps what it measured).
    """
    from .machine import load_average, machine_info

    sizes = options.resolved_sizes()
    t0 = time.perf_counter()
    wants_llm = bool({"llm", "memory"} & set(options.sections))
    results: dict = {"lectern_bench": 1, "quick": options.quick,
                     "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                     "machine": machine_info(with_llama=wants_llm), "sizes": dataclasses.asdict(sizes),
                     "sections": {}}
    runners = {"ingest": lambda: _ingest(options, say, progress),
               "search": lambda: _search(options, say, progress),
               "llm": lambda: _llm(sizes, say),
               "memory": lambda: _memory(sizes, say),
               "retrieval": lambda: _retrieval(options, sizes, say)}
    for name in SECTIONS:
        if name not in options.sections:
            continue
        say(f"== {name} ==")
        t = time.perf_counter()
        try:
            figures = runners[name]()
        except Exception as exc:  # noqa: BLE001 - record it and go on with the other sections
            say(f"{name} failed: {type(exc).__name__}: {exc}")
            figures = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-2000:]}
        figures["section_s"] = round(time.perf_counter() - t, 1)
        results["sections"][name] = figures
        if on_section is not None:
            on_section(results)
    results["load_average_end"] = load_average()
    results["wall_s"] = round(time.perf_counter() - t0, 1)
    return results


def _ingest(options: BenchOptions, say, progress) -> dict:
    from .ingest import bench_ingest

    pdf, generated = long_pdf(options, say)
    figures = bench_ingest(pdf, say=say, progress=progress)
    figures["generated"] = generated
    say(f"ingest: {figures['pages']:,} pages at {figures['pages_per_s']:.1f} pages/s (parse {figures['parse_s']:.1f} s,"
        f" embed {figures['embed_s']:.1f} s, index {figures['index_s']:.1f} s); raw PyMuPDF "
        f"{figures['raw_pymupdf']['pages_per_s']:.0f} pages/s")
    return figures


def _search(options: BenchOptions, say, progress) -> dict:
    from .search import bench_search, library_folder

    sizes = options.resolved_sizes()
    folder = library_folder(options.cache_folder(), sizes.library_pages, seed=5)
    return bench_search(folder, sizes.library_pages, queries=sizes.queries, say=say, progress=progress)


def _llm(sizes: BenchSizes, say) -> dict:
    from .llm import bench_prefill, bench_ttft

    ttft = _part("time to first token", lambda: bench_ttft(sizes.ttft_pages, say=say), say)
    if "error" not in ttft:
        say(f"time to first token: cold {ttft['runs']['cold']['first_token_ms']:.0f} ms, warm "
            f"{ttft['runs']['warm']['first_token_ms']:.0f} ms ({ttft['warm_vs_cold']:.2f} x cold)")
    prefill = _part("prefill", lambda: bench_prefill(sizes.prefix_tokens, sizes.rounds, sizes.decode_tokens,
                                                     say=say), say)
    return {"ttft": ttft, "prefill": prefill}


def _part(name: str, measure: Callable[[], dict], say) -> dict:
    """One part of a section; its failure is recorded so the section's other part still counts."""
    try:
        return measure()
    except Exception as exc:  # noqa: BLE001
        say(f"{name} failed: {type(exc).__name__}: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-2000:]}


def _memory(sizes: BenchSizes, say) -> dict:
    from .memory import bench_memory

    return bench_memory(sizes.memory_n_ctx, say=say)


def _retrieval(options: BenchOptions, sizes: BenchSizes, say) -> dict:
    from .retrieval import bench_retrieval

    return bench_retrieval(options.eval_set, limit=sizes.eval_limit, say=say)
