"""The `lectern` command line: the headless contract that the app, scripts and benchmarks share.

    lectern [--library DIR] ingest PATH... [--json]
    lectern [--library DIR] docs [--json]
    lectern [--library DIR] remove PATH...
    lectern [--library DIR] search "QUERY" [--k K] [--doc PATH]... [--json]
    lectern [--library DIR] ask "QUESTION" [--doc PATH]... [--json] [model and context flags]
    lectern [--library DIR] settings [NAME [VALUE]] [--json]
    lectern [--library DIR] probe [--lengths 4k,8k] [--rope MODES] [--kv-type TYPES] [--json] (see cli_probe.py)
    lectern bench [--quick] [--out DIR] [--pdf PATH] [--sections LIST] [--json]  (see cli_bench.py)

Exit status 0 when the command did its job; otherwise a one-line message on stderr and status 1 (2 for usage
errors, 130 when interrupted). stdout carries only results, so `--json` output can be piped.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from .errors import EngineError

log = logging.getLogger("lectern")


class CliError(Exception):
    """A command could not do its job; the message is printed as one line."""


def _engine(args):
    from .api import Engine

    return Engine.open(args.library)


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------- commands
def cmd_ingest(args) -> int:
    from .progressbar import ProgressBar

    stop = threading.Event()
    bar = ProgressBar() if not args.quiet else None
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())  # first Ctrl-C finishes the current file cleanly
    try:
        with _engine(args) as eng:
            rep = eng.ingest(args.paths, progress=bar, cancel=stop)
    finally:
        signal.signal(signal.SIGINT, previous)
        if bar:
            bar.close()
    if args.json:
        _print_json(rep.to_json())
    else:
        for f in rep.files:
            if f.status in ("indexed", "failed", "incomplete") or args.verbose:
                size = f"{f.pages} pages" if f.pages else (f"{f.lines} lines" if f.lines else "")
                detail = f" — {f.message}" if f.message else ""
                print(f"{f.status:10} {f.path}{' (' + size + ')' if size else ''}{detail}")
        counts = ", ".join(f"{n} {s}" for s, n in sorted(rep.counts().items()))
        print(f"{counts or 'nothing to do'} in {rep.seconds:.1f} s", file=sys.stderr)
    if rep.cancelled:
        print("Interrupted: finished documents are kept; run the same command to finish the rest.", file=sys.stderr)
        return 130
    if rep.files and all(f.status in ("failed", "skipped") for f in rep.files):
        reasons = {f.message for f in rep.files if f.message}
        raise CliError("Nothing was ingested: " + (reasons.pop() if len(reasons) == 1 else
                                                   f"{len(rep.files)} files failed or were skipped."))
    if not rep.files:
        raise CliError("No files found in " + ", ".join(args.paths))
    return 0


def cmd_docs(args) -> int:
    with _engine(args) as eng:
        docs = eng.documents()
    if args.json:
        _print_json({"documents": [d.to_json() for d in docs]})
        return 0
    if not docs:
        print("The library is empty. Add files with: lectern ingest PATH...", file=sys.stderr)
    for d in docs:
        size = f"{d.pages} pages" if d.pages else (f"{d.lines} lines" if d.lines else "")
        note = f" — {d.error}" if d.error else ""
        if d.pages_without_text:
            note += f" — {d.pages_without_text} pages have no text layer"
        print(f"{d.status:10} {d.kind:4} {size:>11}  {d.path}{note}")
    return 0


def cmd_remove(args) -> int:
    with _engine(args) as eng:
        removed = eng.remove(args.paths)
    if args.json:
        _print_json({"removed": removed})
    else:
        for p in removed:
            print(f"removed    {p}")
    return 0


def cmd_search(args) -> int:
    with _engine(args) as eng:
        sources = eng.search(args.query, k=args.k, docs=args.doc or None)
    if args.json:
        _print_json({"query": args.query, "sources": [s.to_json() for s in sources]})
        return 0
    if not sources:
        print("No matching passages.", file=sys.stderr)
    for s in sources:
        where = f"p. {s.page}" if s.page is not None else (f"lines {s.lines[0]}–{s.lines[1]}" if s.lines else "")
        snippet = " ".join(s.text.split())
        print(f"[{s.rank}] {s.path} {where}  (score {s.score:.4f})")
        print(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}")
    return 0


def cmd_settings(args) -> int:
    from .settings import Settings

    with _engine(args) as eng:
        st = eng.settings
        if args.name and args.value is not None:
            new = st.copy()
            new.set(args.name, args.value)
            eng.save_settings(new)
            st = new
    if args.name:
        value = st.get(args.name) if "." in args.name else None
        if value is None and "." not in args.name:
            raise CliError("Name a setting as group.name, e.g. llm.n_ctx; see `lectern settings`.")
        _print_json({args.name: value}) if args.json else print(value)
        return 0
    if args.json:
        _print_json({"settings": st.to_dict(), "describe": Settings.describe()})
        return 0
    for d in Settings.describe():
        print(f"{d['name']:32} = {st.get(d['name'])!s:24} {d['help']}")
    return 0


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lectern", description="Lectern: cited answers from your documents and code, "
                                                          "entirely on this machine.")
    p.add_argument("--library", metavar="DIR", default=None,
                   help="library folder (default: $LECTERN_LIBRARY or the user data folder)")
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser("ingest", help="add files or folders to the library (or bring them up to date)")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--json", action="store_true", help="print the per-file report as JSON")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("docs", help="list the library's documents and their status")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_docs)

    s = sub.add_parser("remove", help="remove documents (or everything ingested from a folder)")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_remove)

    s = sub.add_parser("search", help="find the passages that best match a question")
    s.add_argument("query")
    s.add_argument("--k", type=int, default=None, help="number of passages (default: setting retrieval.k)")
    s.add_argument("--doc", action="append", metavar="PATH", help="only search this document or folder (repeatable)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("settings", help="show or change the library's settings")
    s.add_argument("name", nargs="?", help="a setting such as llm.n_ctx")
    s.add_argument("value", nargs="?", help="new value")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_settings)

    _add_later_commands(sub)
    return p


def _add_later_commands(sub) -> None:
    """Commands whose modules are optional heavy parts register here (answers, probe, bench)."""
    try:
        from . import cli_answer
    except ImportError:  # pragma: no cover - the module ships with the engine
        return
    cli_answer.register(sub)
    from . import cli_probe

    cli_probe.register(sub)
    from . import cli_bench

    cli_bench.register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        return int(args.func(args) or 0)
    except (EngineError, CliError) as exc:
        print(f"lectern: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lectern: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
