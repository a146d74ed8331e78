"""Files per second of `walk` and of `parse_code`/`parse_text` over real folders (prints figures, asserts nothing).

    .venv/bin/python tests/engine/ingest/bench_code.py [FOLDER ...] [--tokenizer]

Without folders it reads the installed `click` and `sqlalchemy` packages. --tokenizer counts tokens with the
packaged embedder's tokenizer (as ingestion does) instead of the word estimate. Parse failures are listed.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from engine.errors import IngestError
from engine.ingest.chunking import word_estimate_counter
from engine.ingest.code import parse_code
from engine.ingest.text import parse_text
from engine.ingest.walk import WalkEntry, walk


def _counter(use_tokenizer: bool):
    if not use_tokenizer:
        return word_estimate_counter
    from tokenizers import Tokenizer

    from engine.paths import packaged_embedder_dir
    tok = Tokenizer.from_file(str(packaged_embedder_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return lambda texts: [len(e.ids) for e in tok.encode_batch(list(texts))]


def main(argv: list[str]) -> None:
    count = _counter("--tokenizer" in argv)
    folders = [a for a in argv if not a.startswith("--")]
    if not folders:
        import click
        import sqlalchemy
        folders = [str(Path(click.__file__).parent), str(Path(sqlalchemy.__file__).parent)]
    for folder in folders:
        t = time.perf_counter()
        found = list(walk([folder]))
        walk_s = time.perf_counter() - t
        entries = [e for e in found if isinstance(e, WalkEntry) and e.kind != "pdf"]
        failures: Counter[str] = Counter()
        lines = chunks = 0
        t = time.perf_counter()
        for e in entries:
            parse = parse_code if e.kind == "code" else parse_text
            try:
                doc = parse(e.path, count_tokens=count, root=e.root)
            except IngestError as exc:
                failures[f"{type(exc).__name__}: {e.path.name}"] += 1
                continue
            lines += doc.line_count or 0
            chunks += len(doc.chunks)
        parse_s = time.perf_counter() - t
        print(f"{folder}\n  walk : {len(found)} results in {walk_s:.2f} s ({len(found) / walk_s:,.0f}/s)\n"
              f"  parse: {len(entries)} files, {lines:,} lines, {chunks:,} chunks in {parse_s:.2f} s "
              f"({len(entries) / parse_s:,.0f} files/s, {lines / parse_s:,.0f} lines/s)")
        for name, n in failures.most_common(10):
            print(f"  failed: {name} ×{n}")


if __name__ == "__main__":
    main(sys.argv[1:])
