"""Pages per second of `parse_pdf` against raw PyMuPDF extraction on the same file (prints figures, asserts nothing).

    .venv/bin/python tests/engine/ingest/bench_pdf.py FILE.pdf [...] [--tokenizer]

--tokenizer counts tokens with the packaged embedder's tokenizer (as ingestion does) instead of the word estimate.
"""
from __future__ import annotations

import sys
import time

import pymupdf as fitz

from engine.ingest.chunking import word_estimate_counter
from engine.ingest.pdf import parse_pdf


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _raw(path: str, mode: str) -> None:
    with fitz.open(path) as doc:
        for page in doc:
            page.get_text(mode) if mode else page.get_text()


def main(argv: list[str]) -> None:
    counter = word_estimate_counter
    if "--tokenizer" in argv:
        from tokenizers import Tokenizer

        from engine.paths import packaged_embedder_dir
        tok = Tokenizer.from_file(str(packaged_embedder_dir() / "tokenizer.json"))
        tok.no_padding()
        tok.no_truncation()
        counter = lambda texts: [len(e.ids) for e in tok.encode_batch(texts)]  # noqa: E731
    for path in (a for a in argv if not a.startswith("--")):
        n = fitz.open(path).page_count
        t_text = _best(lambda: _raw(path, ""))
        t_dict = _best(lambda: _raw(path, "dict"))
        t_parse = _best(lambda: parse_pdf(path, count_tokens=counter), repeat=2)
        doc = parse_pdf(path, count_tokens=counter)
        print(f"{path}: {n} pages, {len(doc.sections)} sections, {len(doc.chunks)} chunks | "
              f"get_text() {n / t_text:.0f} p/s, get_text('dict') {n / t_dict:.0f} p/s, "
              f"parse_pdf {n / t_parse:.0f} p/s ({t_parse:.2f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
