"""The benchmark report: `bench-<date>-<time>[-quick].md` and the same figures as `.json`, side by side.

Every number in the Markdown comes from the results dict that the sections measured; nothing is typed in.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from .machine import describe

NOISE = ("Timings are wall-clock on a machine that may be running other work (see the load averages); ratios "
         "measured in the same run (engine vs raw llama.cpp, warm vs cold, parse vs raw PyMuPDF) are more "
         "trustworthy than absolute figures.")


def report_name(results: dict) -> str:
    stamp = time.strptime(results["started_utc"], "%Y-%m-%d %H:%M:%S")
    return f"bench-{time.strftime('%Y-%m-%d-%H%M', stamp)}{'-quick' if results.get('quick') else ''}"


def write_report(results: dict, out_dir: Path) -> tuple[Path, Path]:
    """Write the Markdown and JSON reports into `out_dir` (created if needed). Returns (markdown, json) paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = out_dir / report_name(results)
    md, js = base.with_suffix(".md"), base.with_suffix(".json")
    md.write_text(render_markdown(results), encoding="utf-8")
    js.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return md, js


def _n(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _table(head: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(c if isinstance(c, str) else _n(c) for c in row) + " |" for row in rows]
    return out + [""]


def render_markdown(results: dict) -> str:
    """The report as Markdown: a header with the machine, then one part per section that ran."""
    m = results["machine"]
    lines = [f"# Lectern benchmark, {results['started_utc']} UTC{' (quick)' if results.get('quick') else ''}", "",
             f"**Machine:** {describe(m)}.", "",
             "**Load average** (1/5/15 min) at the start " + " / ".join(map(str, m.get("load_average") or []))
             + ", at the end " + " / ".join(map(str, results.get("load_average_end") or [])) + f". {NOISE}", "",
             "**Versions:** " + ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items()) + ".", "",
             (f"Whole run: {_n(results['wall_s'], 0)} s. " if "wall_s" in results else
              "**Partial report:** written after each section; the run was still going or was interrupted. ")
             + ("A quick run: small inputs and short contexts, for a smoke check rather than figures to quote."
                if results.get("quick") else "A full run."), ""]
    sections = results["sections"]
    for name, render in (("ingest", _ingest), ("search", _search), ("llm", _llm), ("memory", _memory),
                         ("retrieval", _retrieval)):
        if name not in sections:
            continue
        sec = sections[name]
        if "error" in sec:
            lines += [f"## {TITLES[name]}", "", f"**Failed:** `{sec['error']}`", ""]
        else:
            lines += render(sec)
    if m.get("llama_system_info"):
        lines += ["<details><summary>llama.cpp system info</summary>", "", f"`{m['llama_system_info']}`", "",
                  "</details>", ""]
    return "\n".join(lines)


TITLES = {"ingest": "Ingest speed", "search": "Search latency", "llm": "Language model speed",
          "memory": "Memory by KV cache type", "retrieval": "Retrieval quality"}


def _ingest(s: dict) -> list[str]:
    raw, emb = s["raw_pymupdf"], s["embedder"]
    what = "a generated book" if s.get("generated") else "a real PDF"
    lines = [f"## {TITLES['ingest']}", "",
             f"`{Path(s['path']).name}` ({what}): {s['pages']:,} pages, {s['chunks']:,} chunks, into an empty library. "
             f"Embedder {emb['name']} on {emb['backend']} ({emb['precision']}), loaded beforehand in "
             f"{_n(emb['load_s'], 2)} s (with a warm-up batch).", ""]
    pages = s["pages"]

    def rate(seconds):
        return round(pages / seconds, 1) if seconds else None

    lines += _table(["stage", "seconds", "pages/s", "note"], [
        ["raw PyMuPDF `get_text()`", _n(raw["seconds"], 2), raw["pages_per_s"], "plain text only, best of 2"],
        ["**Lectern end to end**", _n(s["wall_s"], 2), s["pages_per_s"], "parse + embed + index + the rest"],
        ["parse", _n(s["parse_s"], 2), rate(s["parse_s"]),
         f"layout, sections, chunks; {_n(s['parse_vs_raw'], 2)} x raw speed"],
        ["embed", _n(s["embed_s"], 2), rate(s["embed_s"]), f"{_n(s['embed_chunks_per_s'])} chunks/s"],
        ["index", _n(s["index_s"], 2), rate(s["index_s"]), "SQLite rows + FTS5 + vector index, saved"],
        ["other", _n(s["other_s"], 2), None, "hashing, walking, bookkeeping"]])
    return lines


def _search(s: dict) -> list[str]:
    lib = s["library"]
    built = ("built in an earlier run and reused" if lib.get("reused") else "built by this run") + (
        f" ({lib['documents']} books ingested at {_n(lib['ingest_pages_per_s'])} pages/s, {_n(lib['ingest_s'], 0)} s)")
    lines = [f"## {TITLES['search']}", "",
             f"Generated library: {lib['pages']:,} pages, {lib['documents']} books, {lib['chunks']:,} chunks, "
             f"{lib['index']['vectors']:,} vectors in a {lib['index']['kind']} index; {built}. "
             f"`Engine.search` end to end (query embedding, BM25, vectors, fusion, sources), top {s['k']}, "
             f"after {s['warmup_s']} s of warm-up queries.", ""]
    lines += _table(["queries", "p50 ms", "p95 ms", "mean ms", "max ms", "no result"],
                    [[s["n"], s["p50_ms"], s["p95_ms"], s["mean_ms"], s["max_ms"], s["queries_without_results"]]])
    return lines


def _llm(s: dict) -> list[str]:
    lines = [f"## {TITLES['llm']}", ""]
    for key, title, render in (("ttft", "Time to first token", _ttft), ("prefill", PREFILL_TITLE, _prefill)):
        part = s[key]
        lines += [f"### {title}", ""] + ([f"**Failed:** `{part['error']}`", ""] if "error" in part else render(part))
    return lines


PREFILL_TITLE = "Prefill and decode beside raw llama.cpp"


def _ttft(t: dict) -> list[str]:
    doc = t["document"]
    lines = [f"`Engine.ask` on a generated {doc['pages']}-page document read in {doc['mode']} mode "
             f"({_n(doc['context_tokens'])} context tokens); the model was loaded beforehand ({t['model_load_s']} s),"
             f" answers capped at {t['answer_tokens']} tokens. Warm = a new question in the same engine; follow-up ="
             " a question carrying the first one and its answer as history; warm (disk) = a new engine on the same "
             "library. The first token counts from the question: retrieval and evidence ranking first, then the "
             "model (prefill, served from the prefix cache on a hit). Target: warm <= 0.3 x cold.", ""]
    cold = t["runs"]["cold"]
    rows = []
    for name, label in (("cold", "cold"), ("warm", "warm (new question)"), ("follow_up", "follow-up (history)"),
                        ("warm_disk", "warm (disk, new engine)")):
        r = t["runs"][name]
        model = r.get("model_first_token_ms")
        rows.append([label, r["first_token_ms"], _ratio(r["first_token_ms"], cold["first_token_ms"]),
                     r["retrieve_ms"], model, _ratio(model, cold.get("model_first_token_ms")), r["prompt_tokens"],
                     r["cache_hit"], r["total_ms"]])
    lines += _table(["run", "first token ms", "x cold", "of which retrieval ms", "model ms", "model x cold",
                     "prompt tokens", "cache hit", "total ms"], rows)
    return lines


def _prefill(p: dict) -> list[str]:
    st = p["settings"]
    lines = [f"The same {p['prompt_tokens']:,}-token prompt through `LlamaBackend.generate` and a bare "
             f"`llama_cpp.Llama` with the same parameters (n_ctx {_n(st.get('n_ctx'))}, KV {st.get('type_k')}/"
             f"{st.get('type_v')}, flash attention {'on' if st.get('flash_attn') else 'off'}, "
             f"{st.get('n_threads')} threads); median of {p['rounds']} interleaved rounds, {p['decode_tokens']} "
             "tokens decoded.", ""]
    lines += _table(["", "engine tok/s", "raw llama.cpp tok/s", "engine / raw"], [
        ["prefill", p["engine"]["prefill_tokens_per_s"], p["raw"]["prefill_tokens_per_s"], _n(p["prefill_ratio"], 2)],
        ["decode", p["engine"]["decode_tokens_per_s"], p["raw"]["decode_tokens_per_s"], _n(p["decode_ratio"], 2)]])
    return lines


def _ratio(value, base) -> str:
    return f"{value / base:.2f}" if value is not None and base else "–"


def _memory(s: dict) -> list[str]:
    lines = [f"## {TITLES['memory']}", "",
             f"RSS growth of a fresh process per cache type (MiB over the process before loading) at n_ctx "
             f"{s['n_ctx']:,}: after loading the model, and after one prompt batch, which pages in part of "
             "llama.cpp's compute buffer. Beside it the engine's own estimate.", ""]
    rows = []
    for kv, r in s["types"].items():
        if "error" in r:
            rows.append([kv, "–", "–", "–", "–", "–", "–", f"failed: {r['error']}"])
            continue
        rows.append([kv, r["flash_attn"], r["load_mib"], r["after_batch_mib"], r["peak_mib"], r["estimate_kv_mib"],
                     r["estimate_total_mib"], f"{r['batch_tokens']} tokens at {_n(r['batch_tokens_per_s'], 0)} tok/s"])
    lines += _table(["KV", "flash attn", "+ after load", "+ after batch", "peak RSS", "est. KV", "est. total",
                     "batch"], rows)
    return lines


def _retrieval(s: dict) -> list[str]:
    lines = [f"## {TITLES['retrieval']}", ""]
    if "skipped" in s:
        return lines + [f"Skipped: {s['skipped']}.", ""]
    k = s["k"]
    limited = f" (first {s['limited_to']} questions)" if s.get("limited_to") else ""
    lines += [f"`{Path(s['set']).name}`{limited}, scored by the set's own `score.py`, search only; "
              f"{s['with_gold_page']} questions have a gold page.", ""]
    lines += _table(["questions", "page recall@1", f"page recall@{k}", "MRR", "search p50 ms", "search p90 ms",
                     "ingest pages/s"],
                    [[s["questions"], _n(s["page_recall@1"], 3), _n(s[f"page_recall@{k}"], 3), _n(s["mrr"], 3),
                      s["search_ms_p50"], s["search_ms_p90"], s["ingest_pages_per_s"]]])
    return lines
