"""Question / answer pairs from technical FAQs that Debian ships, for training the answerability reader.

The reader (engine/answer/answerable.py) learnt what an answering passage looks like from SQuAD and HotpotQA:
Wikipedia paragraphs whose answer is a short span that repeats the question's words. On a manual's how-to
questions ("How can my package detect missing system libraries?") it found no answer in most right passages
(docs/answers.md, "Abstention"). FAQs are real how-to questions, each answered in prose written for it, so they
show it the other kind of answer: scripts/train_answerability.py `--faq` pairs each question with its own answer
(answers) and with the same FAQ's answer closest to it in words (does not).

Sources (all DFSG-free, `apt-get download python3.11-doc debian-faq git-doc sqlite3-doc`, then `dpkg-deb -x` each
into one folder): the Python FAQ (reStructuredText sources), the Debian FAQ (plain text), gitfaq (AsciiDoc) and the
SQLite FAQ (HTML). R's FAQ is left out on purpose: R manuals are what the reader is checked on (tests/eval/r-exts).

    .venv/bin/python scripts/faq_pairs.py /tmp/faq/x --out /tmp/faq.json [--rst SDIST/docs/faq.rst ...]
"""
from __future__ import annotations

import argparse
import gzip
import html
import json
import re
from collections import Counter
from pathlib import Path

# A heading that asks something, when it does not end with "?" ("I can't get key bindings to work: why?" does).
ASKS = re.compile(r"^(how|what|why|is|are|can|does|do|should|where|when|which|who|i |my |will|would|has|have)", re.I)
MIN_ANSWER = 80  # characters; shorter "answers" are cross-references ("See section 4.2.")
SPACE = re.compile(r"\s+")


def pair(source: str, question: str, answer: str) -> dict | None:
    question, answer = SPACE.sub(" ", question).strip(), SPACE.sub(" ", answer).strip()
    if len(answer) < MIN_ANSWER or not (question.endswith("?") or ASKS.match(question)):
        return None
    return {"src": source, "question": question, "answer": answer}


def rst_text(text: str) -> str:
    """Prose of a reStructuredText section: roles and links reduced to their text, directives and their blocks
    dropped (code examples; the reader reads prose)."""
    text = re.sub(r":[\w:]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", text)
    text = re.sub(r"`([^`<]*?)\s*<[^>]*>`_+", r"\1", text)
    text = re.sub(r"``([^`]*)``", r"\1", text)
    text = re.sub(r"`([^`]*)`_*", r"\1", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)  # bold
    text = re.sub(r"^\s*Answer\s*:", "", text.strip())  # celery's FAQ opens each answer with "**Answer**:"
    keep, in_directive = [], False
    for line in text.split("\n"):
        if line.startswith(".. "):
            in_directive = True
            continue
        if in_directive and (line.startswith(" ") or not line.strip()):
            continue
        in_directive = False
        keep.append(line)
    return "\n".join(keep).replace("::", ":")


def rst_faq(source: str, text: str) -> list[dict]:
    """Every section of a reStructuredText FAQ whose heading asks something, with the prose under it."""
    lines = text.split("\n")
    heads = [i for i in range(len(lines) - 1) if lines[i].strip()
             and re.fullmatch(r"[=\-~^]{3,}", lines[i + 1].strip())
             and len(lines[i + 1].strip()) >= len(lines[i].strip()) - 1]
    out = []
    for k, i in enumerate(heads):
        end = heads[k + 1] if k + 1 < len(heads) else len(lines)
        out.append(pair(source, lines[i], rst_text("\n".join(lines[i + 2:end]))))
    return out


def python_faq(root: Path) -> list[dict]:
    out = []
    for path in sorted({p.resolve() for p in root.glob("usr/share/doc/python3*/html/_sources/faq/*.rst.txt")}):
        out += rst_faq("python-" + path.name.split(".")[0], path.read_text(encoding="utf-8"))
    return out


def debian_faq(root: Path) -> list[dict]:
    out = []
    for path in root.glob("usr/share/doc/debian/FAQ/debian-faq.en.txt.gz"):
        text = gzip.open(path, "rt", encoding="utf-8").read().replace("\xa0", " ")
        body = text[text.index("\n1.1. "):]  # after the table of contents, whose entries are indented
        parts = re.split(r"\n(\d+\.\d+(?:\.\d+)?\. [^\n]+(?:\n(?! *\n)[^\n]+)?)\n", body)
        for i in range(1, len(parts) - 1, 2):
            question = re.sub(r"^\d+\.\d+(?:\.\d+)?\. ", "", parts[i])
            out.append(pair("debian-faq", question, re.split(r"\n\d+\. [A-Z]", parts[i + 1])[0]))
    return out


def git_faq(root: Path) -> list[dict]:
    out = []
    for path in root.glob("usr/share/doc/git-doc/gitfaq.txt"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"\[\[[\w-]+\]\]\n(.+?)::\n(.*?)(?=\n\[\[|\n[A-Z][^\n]*\n-{3,}|\Z)", text, re.S):
            answer = re.sub(r"\n----\n.*?\n----\n", " ", m.group(2), flags=re.S).replace("\n+\n", "\n")
            answer = re.sub(r"linkgit:([\w-]+)\[\d\]", r"\1", answer)
            out.append(pair("gitfaq", m.group(1).replace("`", ""), answer.replace("`", "")))
    return out


def sqlite_faq(root: Path) -> list[dict]:
    out = []
    for path in root.glob("usr/share/doc/sqlite3/faq.html"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<b>\(\d+\)\s*(.*?)</b>(.*?)(?=<b>\(\d+\)|\Z)", text, re.S):
            out.append(pair("sqlite-faq", html.unescape(re.sub("<[^>]+>", "", m.group(1))),
                            html.unescape(re.sub("<[^>]+>", " ", m.group(2)))))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="the folder the .deb files were extracted into")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--rst", type=Path, nargs="*", default=[],
                    help="more reStructuredText FAQs, e.g. from sdists: django's docs/faq/*.txt, sqlalchemy's "
                         "doc/build/faq/*.rst, celery's and scrapy's docs/faq.rst")
    args = ap.parse_args()
    rows = [p for get in (python_faq, debian_faq, git_faq, sqlite_faq) for p in get(args.root) if p]
    for path in args.rst:
        source = next((part for part in path.parts if re.match(r"(?i)[a-z]+-\d", part)), path.parent.name)
        rows += [p for p in rst_faq(f"{source.split('-')[0].lower()}-{path.stem}", path.read_text(encoding="utf-8"))
                 if p]
    if not rows:
        raise SystemExit(f"no FAQ found under {args.root} (see this script's docstring for the packages)")
    args.out.write_text(json.dumps(rows, indent=0), encoding="utf-8")
    print(f"{len(rows)} pairs: {dict(Counter(r['src'] for r in rows))} -> {args.out}")


if __name__ == "__main__":
    main()
