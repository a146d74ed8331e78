"""`lectern ask` and `lectern models`: the answer side of the command line.

    lectern [--library DIR] ask "QUESTION" [--doc PATH]... [--json] [--model PATH] [--n-ctx N]
            [--rope auto|none|linear|yarn] [--kv-type f16|q8_0|q4_0] [--budget TOKENS] [--gpu-layers N]
            [--threads N] [--follow-up] [--backend llama|openai] [--base-url URL] [--api-key KEY]
            [--remote-model NAME] [--timeout S] [--abstain rarely|balanced|strict]

Flags override the library's settings for this call only (`lectern settings NAME VALUE` persists them).
A follow-up continues the library's last conversation, stored in conversations.json as the app does.
"""
from __future__ import annotations

import json
import re
import sys
import threading

from .settings import ABSTAIN_LEVELS, BACKENDS, KV_TYPES, ROPE_MODES


def register(sub) -> None:
    s = sub.add_parser("ask", help="answer a question from the library, with verified citations")
    s.add_argument("question")
    s.add_argument("--doc", action="append", metavar="PATH", help="only use this document or folder (repeatable)")
    s.add_argument("--json", action="store_true", help="print the answer, citations, sources and timings as JSON")
    s.add_argument("--model", metavar="PATH", help="GGUF model file (default: setting llm.model_path)")
    s.add_argument("--n-ctx", metavar="N", help="context length in tokens, e.g. 8192 or 32k")
    s.add_argument("--rope", choices=ROPE_MODES, help="RoPE scaling mode")
    s.add_argument("--kv-type", choices=KV_TYPES, help="KV cache type for both K and V")
    s.add_argument("--budget", metavar="TOKENS", help="most tokens of document context for this question")
    s.add_argument("--gpu-layers", type=int, metavar="N", help="layers to offload to the GPU (-1: all)")
    s.add_argument("--threads", type=int, metavar="N", help="CPU threads for inference")
    s.add_argument("--follow-up", action="store_true", help="continue the last conversation (carries its history)")
    s.add_argument("--abstain", choices=ABSTAIN_LEVELS,
                   help="how readily to answer \"not found\" instead of quoting weak evidence (setting llm.abstain)")
    s.add_argument("--backend", choices=BACKENDS,
                   help="llama: the GGUF in this process; openai: an OpenAI-compatible server (--base-url)")
    s.add_argument("--base-url", metavar="URL", help="the server's API, e.g. http://127.0.0.1:8080/v1")
    s.add_argument("--api-key", metavar="KEY", help="key for the server (default: $LECTERN_API_KEY, $OPENAI_API_KEY)")
    s.add_argument("--remote-model", metavar="NAME", help="model name sent to the server (default: the first listed)")
    s.add_argument("--timeout", type=float, metavar="S", help="seconds to wait for the server (connect, each piece)")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("models", help="list GGUF models found on this machine")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_models)


def _overrides(args) -> dict[str, object]:
    pairs = {"llm.model_path": args.model, "llm.n_ctx": args.n_ctx, "llm.rope_mode": args.rope,
             "llm.type_k": args.kv_type, "llm.type_v": args.kv_type, "llm.budget": args.budget,
             "llm.n_gpu_layers": args.gpu_layers, "llm.n_threads": args.threads, "llm.backend": args.backend,
             "llm.base_url": args.base_url, "llm.api_key": args.api_key, "llm.remote_model": args.remote_model,
             "llm.request_timeout": args.timeout, "llm.abstain": args.abstain}
    return {k: v for k, v in pairs.items() if v is not None}


def cmd_ask(args) -> int:
    from .api import Engine
    from .conversations import ConversationStore, Turn
    from .types import DoneEvent, SourcesEvent, TokenEvent

    with Engine.open(args.library) as eng:
        for name, value in _overrides(args).items():
            eng.settings.set(name, value)
        eng.settings.validate()
        convs = ConversationStore(eng.library_dir)
        history = convs.history(eng.settings.llm.history_turns) if args.follow_up else []
        stop = threading.Event()
        answer = None
        streamed = False
        try:
            for ev in eng.ask_stream(args.question, docs=args.doc or None, history=history, cancel=stop):
                if isinstance(ev, TokenEvent) and not args.json:
                    sys.stdout.write(ev.text)
                    sys.stdout.flush()
                    streamed = True
                elif isinstance(ev, SourcesEvent) and not args.json and args.verbose:
                    print(f"(reading {ev.context.get('passages')} passages, mode {ev.context.get('mode')})",
                          file=sys.stderr)
                elif isinstance(ev, DoneEvent):
                    answer = ev.answer
        except KeyboardInterrupt:
            stop.set()
            raise
        if not args.follow_up:
            convs.new_conversation()
        convs.add(Turn.from_answer(answer, scope=", ".join(args.doc or [])))
    if args.json:
        sys.stdout.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
        return 0
    if streamed:
        sys.stdout.write("\n")
    if answer.abstained:
        if not streamed:  # a refusal is streamed as it stands: no verified version to show again
            print(answer.answer)
    elif answer.answer and answer.answer.strip() != "":
        print("\nAnswer (verified):\n" + answer.answer)
    if answer.citations:
        print("\nCitations:")
        for c in answer.citations:
            where = f"p. {c.page}" if c.page is not None else (f"lines {c.lines[0]}–{c.lines[1]}" if c.lines else "")
            print(f"[{c.id}] {c.path} {where}\n    “{c.quote}”")
    elif answer.abstained and answer.sources:
        print("\nClosest passages:")
        for s in answer.sources[:5]:
            where = f"p. {s.page}" if s.page is not None else (f"lines {s.lines[0]}–{s.lines[1]}" if s.lines else "")
            # two passages on one page are told apart by how they begin
            print(f"  {s.path} {where}\n    {_excerpt(s.text, answer.question)}")
    t = answer.timings
    print(f"\n({t.get('total_ms', 0) / 1000:.1f} s, first token {t.get('first_token_ms', 0) / 1000:.1f} s, "
          f"{t.get('prompt_tokens', 0)} prompt tokens, cache {'hit' if t.get('cache_hit') else 'miss'})",
          file=sys.stderr)
    return 0


def _excerpt(text: str, question: str, size: int = 110) -> str:
    """The passage's sentence sharing most words with the question, shortened to `size` characters."""
    wanted = {w for w in re.findall(r"\w+", question.lower()) if len(w) > 3}
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    best = max(sentences, key=lambda x: len(wanted & set(re.findall(r"\w+", x.lower())))) if sentences else ""
    return best if len(best) <= size else best[:size].rsplit(" ", 1)[0] + " …"


def cmd_models(args) -> int:
    from .api import Engine

    models = Engine.discover_models()
    if args.json:
        sys.stdout.write(json.dumps({"models": [{"path": str(m.path), "name": m.name, "size": m.size,
                                                 "source": m.source} for m in models]}) + "\n")
        return 0
    for m in models:
        print(f"{m.size / 2**20:9.0f} MB  {m.source:12} {m.name}\n{'':25}{m.path}")
    return 0
