"""`lectern probe`: measure the effective context of the configured model and settings.

    lectern [--library DIR] probe [--model PATH] [--n-ctx N] [--rope MODE[,MODE...]] [--kv-type TYPE[,TYPE...]]
            [--lengths 2k,4k,...] [--depths 0.1,0.5,0.9] [--tasks single,multikey,...] [--trials N] [--seed N]
            [--threads N] [--out DIR] [--resume | --fresh] [--no-heatmap] [--json]

Several RoPE modes or KV types run one probe per combination (a sweep) and end with a table comparing them.
`--json` prints the result object (a sweep prints {"results": [...]}). Results go to the library's probe/ folder
(or --out); an interrupted probe (Ctrl-C: exit status 130) resumes when the same command runs again.
"""
from __future__ import annotations

import itertools
import json
import signal
import sys
import threading

from .settings import KV_TYPES, ROPE_MODES, _parse_int


class _UsageError(Exception):
    pass


def register(sub) -> None:
    s = sub.add_parser("probe", help="measure how much context the model really uses (needle in a haystack)")
    s.add_argument("--model", metavar="PATH", help="GGUF model file (default: setting llm.model_path)")
    s.add_argument("--n-ctx", metavar="N", help="context length, e.g. 32k (default: setting llm.n_ctx)")
    s.add_argument("--rope", metavar="MODES", help=f"RoPE scaling, one or several of {','.join(ROPE_MODES)}")
    s.add_argument("--kv-type", metavar="TYPES", help=f"KV cache type for K and V, one or several of "
                                                       f"{','.join(KV_TYPES)}")
    s.add_argument("--lengths", metavar="LIST", help="prompt lengths in tokens, e.g. 4k,8k,16k (default: 1k, 2k, "
                                                     "4k ... up to n_ctx)")
    s.add_argument("--depths", metavar="LIST", help="needle depths from 0 (start) to 1 (end) (default 0.1,0.5,0.9)")
    s.add_argument("--tasks", metavar="LIST", help="single, multikey, multivalue, vartrack (default: all)")
    s.add_argument("--trials", type=int, default=1, metavar="N", help="trials per cell (default 1)")
    s.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the filler and the needles")
    s.add_argument("--threads", type=int, metavar="N", help="CPU threads for inference")
    s.add_argument("--out", metavar="DIR", help="folder for the results (default: the library's probe/)")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--resume", dest="resume", action="store_true", default=True,
                   help="keep the trials of an interrupted run with the same settings (default)")
    g.add_argument("--fresh", dest="resume", action="store_false", help="start again, forgetting earlier trials")
    s.add_argument("--no-heatmap", action="store_true", help="do not draw the heatmap PNG")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.set_defaults(func=cmd_probe)


def _list(text: str | None, parse, name: str) -> list:
    if not text:
        return []
    try:
        return [parse(x.strip()) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise _UsageError(f"--{name}: cannot read {text!r} ({exc})") from exc


def _choices(text: str | None, allowed: tuple[str, ...], name: str) -> list[str | None]:
    values = _list(text, str, name)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise _UsageError(f"--{name}: {', '.join(bad)} is not one of {', '.join(allowed)}")
    return values or [None]


def cmd_probe(args) -> int:
    from .api import Engine
    from .errors import Cancelled
    from .probe import DEFAULT_DEPTHS, TASKS, ProbeGrid, default_lengths, sweep_table
    from .progressbar import ProgressBar

    try:
        ropes = _choices(args.rope, ROPE_MODES, "rope")
        kvs = _choices(args.kv_type, KV_TYPES, "kv-type")
        lengths = _list(args.lengths, _parse_int, "lengths")
        depths = _list(args.depths, float, "depths") or list(DEFAULT_DEPTHS)
        tasks = _list(args.tasks, str, "tasks") or list(TASKS)
    except _UsageError as exc:
        print(f"lectern probe: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    bar = ProgressBar() if not args.quiet else None
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())  # Ctrl-C ends the current trial, then saves
    results = []
    try:
        with Engine.open(args.library) as eng:
            for rope, kv in itertools.product(ropes, kvs):
                st = eng.settings.copy()
                for name, value in {"llm.model_path": args.model, "llm.n_ctx": args.n_ctx, "llm.rope_mode": rope,
                                    "llm.type_k": kv, "llm.type_v": kv, "llm.n_threads": args.threads}.items():
                    if value is not None:
                        st.set(name, value)
                st.validate()
                try:
                    grid = ProbeGrid(lengths=tuple(lengths or default_lengths(st.llm.n_ctx)), depths=tuple(depths),
                                     tasks=tuple(tasks), trials=args.trials, seed=args.seed)
                except ValueError as exc:
                    print(f"lectern probe: {exc}", file=sys.stderr)
                    return 2
                res = eng.probe(grid, settings=st, out_dir=args.out, resume=args.resume,
                                heatmap=not args.no_heatmap, progress=bar, cancel=stop)
                if bar:
                    bar.close()
                results.append(res)
                if not args.json:
                    print(res.table() + "\n")
    except Cancelled:
        if bar:
            bar.close()
        print("Interrupted: finished trials are saved; run the same command to resume.", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.json:
        data = results[0].to_json() if len(results) == 1 else {"results": [r.to_json() for r in results]}
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        if len(results) > 1:
            print(sweep_table(results))
        for r in results:
            print(f"saved {r.json_path}" + (f" and {r.png_path}" if r.png_path else ""), file=sys.stderr)
    return 0
