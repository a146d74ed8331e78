"""Builds the docs/ folders of the paraphrased retrieval sets and checks their gold locations.

The sets hold questions only (questions.jsonl); the documents are third-party and are not committed:

  r-exts/          "Writing R Extensions" (R 4.2.2), 236 pages, from Debian's r-doc-pdf package
                   (apt-get install r-doc-pdf -> /usr/share/R/doc/manual/R-exts.pdf), copied to docs/R-exts.pdf
  requests-code/   the source distribution of requests 2.32.3 from PyPI, unpacked to docs/requests-2.32.3/
  click-code/      the source distribution of click 8.1.7 from PyPI, unpacked to docs/click-8.1.7/ (15 questions
                   written after the ranking weights were fixed: a held-out check of the code weights)

    .venv/bin/python tests/eval/make_sets.py            # build every set's docs/ (pip needs network access once)
    .venv/bin/python tests/eval/make_sets.py --check    # and verify every gold page/line range holds an answer
    .venv/bin/python ../shared/eval/score.py tests/eval/r-exts --runner scripts/eval_runner.py:EngineRunner \\
        --no-generate --out /tmp/r-exts.json

Each question's `answers` are strings that must appear at its gold location (a field, function or macro name):
`--check` reads the gold pages with PyMuPDF and the gold lines from the unpacked files and fails if one is missing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
R_MANUAL = Path("/usr/share/R/doc/manual/R-exts.pdf")
R_MANUAL_SHA256 = "792220b273d40e8629664d5dd0d6ae4151419d14f613a949aebe85b8c2a1f85c"  # r-doc-pdf 4.2.2.20221110-2
SDISTS = {"requests-code": ("requests", "2.32.3"), "click-code": ("click", "8.1.7")}


def build_r_exts(set_dir: Path) -> None:
    """Copies the manual (a copy, not a link: a library records the path it ingested)."""
    if not R_MANUAL.exists():
        raise SystemExit(f"{R_MANUAL} is missing: apt-get install -y r-doc-pdf")
    digest = hashlib.sha256(R_MANUAL.read_bytes()).hexdigest()
    if digest != R_MANUAL_SHA256:
        print(f"warning: {R_MANUAL} is not the r-doc-pdf 4.2.2 build the gold pages were read from "
              f"(sha256 {digest[:12]}…): run --check", file=sys.stderr)
    docs = set_dir / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(R_MANUAL, docs / R_MANUAL.name)


def build_sdist(set_dir: Path, name: str, version: str, pip: str) -> None:
    """Downloads the sdist with pip (no wheel, no dependencies) and unpacks it under docs/."""
    docs = set_dir / "docs"
    target = docs / f"{name}-{version}"
    if target.is_dir():
        return
    docs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([pip, "download", "--no-deps", "--no-binary", ":all:", f"{name}=={version}", "-d", tmp],
                       check=True)
        archive = next(Path(tmp).glob(f"{name}-{version}.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(docs, filter="data")


def _questions(set_dir: Path) -> list[dict]:
    with open(set_dir / "questions.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _evidence(q: dict) -> list[dict]:
    return [{"doc": q["doc"], "gold_pages": q.get("gold_pages") or [], "gold_lines": q.get("gold_lines") or []},
            *q.get("alt_evidence", [])]


def check(set_dir: Path) -> int:
    """Number of questions whose answers are not all found at their gold locations (0 = the set is sound).

    A PDF question passes when each answer is on one of its gold pages (a page listed only because the section
    starts there need not hold it); a code question when each answer is inside one of its gold line ranges.
    """
    bad = 0
    pdfs: dict[str, object] = {}
    for q in _questions(set_dir):
        text = []
        for ev in _evidence(q):
            path = set_dir / ev["doc"]
            if ev["gold_pages"]:
                import pymupdf  # only this check needs it

                doc = pdfs.setdefault(str(path), pymupdf.open(path))
                text += [doc[p - 1].get_text() for p in ev["gold_pages"]]
            if ev["gold_lines"]:
                lines = path.read_text(encoding="utf-8").split("\n")
                text += ["\n".join(lines[a - 1:b]) for a, b in ev["gold_lines"]]
        joined = "\n".join(text).lower()
        missing = [a for a in q["answers"] if a.lower() not in joined]
        if missing:
            bad += 1
            print(f"{set_dir.name}/{q['id']}: {missing} not at its gold location", file=sys.stderr)
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="verify the gold locations after building")
    ap.add_argument("--pip", default=str(Path(sys.executable).with_name("pip")), help="pip used to download")
    args = ap.parse_args()
    build_r_exts(HERE / "r-exts")
    for set_name, (name, version) in SDISTS.items():
        build_sdist(HERE / set_name, name, version, args.pip)
    if args.check:
        bad = sum(check(HERE / s) for s in ("r-exts", *SDISTS))
        print("gold locations: ok" if not bad else f"gold locations: {bad} question(s) failed")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
