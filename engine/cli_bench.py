"""`lectern bench`: measure this machine and write a Markdown + JSON report.

    lectern bench [--quick] [--out DIR] [--pdf PATH] [--sections ingest,search,llm,memory,retrieval]
                  [--eval-set DIR] [--cache DIR] [--json]

The report goes to --out (default: the current folder) as bench-<date>-<time>.md and .json. The bench never touches
the user's library: it ingests into temporary libraries, and keeps its generated inputs (a 1,000-page book, a
5,000-page library) in the bench cache folder so a rerun does not build them again. Progress goes to stderr;
--json also prints the results on stdout.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path


def register(sub) -> None:
    from .bench.suite import SECTIONS

    s = sub.add_parser("bench", help="measure ingest, search, model speed, memory and retrieval; write a report",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--quick", action="store_true",
                   help="small inputs and short contexts (a few minutes): a smoke check, not figures to quote")
    s.add_argument("--out", metavar="DIR", default=".", help="folder for the report (default: the current folder)")
    s.add_argument("--pdf", metavar="PATH", type=Path,
                   help="long PDF for the ingest figures (default: a generated 1,000-page book; real ones: Debian's "
                        "c++-annotations-pdf or r-doc-pdf)")
    s.add_argument("--sections", metavar="LIST", default=",".join(SECTIONS),
                   help=f"comma-separated sections to run (default: all of {','.join(SECTIONS)})")
    s.add_argument("--eval-set", metavar="DIR", type=Path,
                   help="QA set folder for retrieval quality (default: ../shared/eval/sets/squad-dev when present)")
    s.add_argument("--cache", metavar="DIR", type=Path,
                   help="folder for generated inputs reused between runs (default: <Lectern cache>/bench)")
    s.add_argument("--json", action="store_true", help="also print the results as JSON on stdout")
    # Size overrides, for tests and for measuring other scales; not part of the documented interface.
    for name in ("pdf-pages", "library-pages", "queries", "ttft-pages", "prefix-tokens", "rounds", "decode-tokens",
                 "memory-n-ctx", "eval-limit"):
        s.add_argument(f"--{name}", type=int, help=argparse.SUPPRESS)
    s.set_defaults(func=cmd_bench)


def cmd_bench(args) -> int:
    from .bench.report import write_report
    from .bench.suite import FULL, QUICK, SECTIONS, BenchOptions
    from .cli import CliError
    from .progressbar import ProgressBar

    sections = tuple(x.strip() for x in args.sections.split(",") if x.strip())
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown or not sections:
        raise CliError(f"Unknown bench section(s): {', '.join(unknown) or '(none given)'}; "
                       f"choose from {', '.join(SECTIONS)}.")
    if args.pdf is not None and not args.pdf.is_file():
        raise CliError(f"{args.pdf} is not a file.")
    sizes = QUICK if args.quick else FULL
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(sizes) if getattr(args, f.name, None)}
    options = BenchOptions(quick=args.quick, sections=sections, pdf=args.pdf, eval_set=args.eval_set,
                           cache=args.cache, sizes=dataclasses.replace(sizes, **overrides))

    def say(message: str) -> None:
        if not args.quiet:
            print(f"bench: {message}", file=sys.stderr, flush=True)

    from .bench.suite import run_bench

    out = Path(args.out)
    bar = None if args.quiet else ProgressBar()
    try:
        results = run_bench(options, say=say, progress=bar, on_section=lambda partial: write_report(partial, out))
    finally:
        if bar:
            bar.close()
    md, js = write_report(results, out)
    print(f"bench: report written to {md} and {js.name}", file=sys.stderr)
    if args.json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(md.read_text(encoding="utf-8"))
    failed = [name for name, sec in results["sections"].items() if "error" in sec]
    if failed:
        raise CliError(f"The report is written, but these sections failed: {', '.join(failed)}.")
    return 0
