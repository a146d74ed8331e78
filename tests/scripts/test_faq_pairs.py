"""scripts/faq_pairs.py: the FAQ formats it reads become question / answer pairs, and headings that ask nothing
or answers that only point elsewhere are left out (they would teach the reader wrong labels)."""
import gzip
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "faq_pairs.py"
spec = importlib.util.spec_from_file_location("faq_pairs", SCRIPT)
faq_pairs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(faq_pairs)

LONG = "It is kept in a list of its own, which the interpreter reads once at start-up and never again after that."


def test_python_faq_reads_headings_and_strips_markup(tmp_path):
    faq = tmp_path / "usr/share/doc/python3.11/html/_sources/faq"
    faq.mkdir(parents=True)
    (faq / "library.rst.txt").write_text(
        "Library FAQ\n===========\n\nGeneral\n-------\n\nSome text that is not an answer.\n\n"
        "How do I find the modules path?\n-------------------------------\n\n"
        f"Use :data:`sys.path` and ``PYTHONPATH``. {LONG}\n\n.. code-block:: python\n\n   import sys\n\n"
        "Why?\n----\n\nSee above.\n", encoding="utf-8")
    rows = [r for r in faq_pairs.python_faq(tmp_path) if r]
    assert rows == [{"src": "python-library", "question": "How do I find the modules path?",
                     "answer": f"Use sys.path and PYTHONPATH. {LONG}"}]


def test_debian_faq_skips_the_contents_and_joins_wrapped_headings(tmp_path):
    folder = tmp_path / "usr/share/doc/debian/FAQ"
    folder.mkdir(parents=True)
    text = ("Contents\n\n    1.1. What is this FAQ?\n\n1. Definitions\n\n1.1. What is this\nFAQ?\n\n"
            f"    {LONG}\n\n1.2. Where is it kept?\n\n    {LONG}\n\n2. Next chapter\n")
    with gzip.open(folder / "debian-faq.en.txt.gz", "wt", encoding="utf-8") as f:
        f.write(text)
    rows = [r for r in faq_pairs.debian_faq(tmp_path) if r]
    assert [r["question"] for r in rows] == ["What is this FAQ?", "Where is it kept?"]
    assert all(r["answer"] == LONG for r in rows)


def test_git_faq_drops_listings(tmp_path):
    folder = tmp_path / "usr/share/doc/git-doc"
    folder.mkdir(parents=True)
    (folder / "gitfaq.txt").write_text(
        f"[[editor]]\nHow do I change the editor?::\n\tSet `core.editor`. {LONG}\n+\n----\nexport VISUAL=nano\n----\n"
        "+\nSee linkgit:git-var[1].\n", encoding="utf-8")
    (row,) = [r for r in faq_pairs.git_faq(tmp_path) if r]
    assert row["question"] == "How do I change the editor?"
    assert "VISUAL" not in row["answer"] and row["answer"].endswith("See git-var.")


def test_pair_keeps_questions_with_real_answers_only():
    assert faq_pairs.pair("x", "Release notes", LONG) is None  # a heading that asks nothing
    assert faq_pairs.pair("x", "Why?", "See section 4.2.") is None  # a cross-reference, not an answer
    assert faq_pairs.pair("x", "I can't get key bindings to work: why?", LONG)["question"].endswith("why?")


def test_rst_faq_from_an_sdist_drops_the_answer_label():
    text = f"FAQ\n===\n\nCan I schedule tasks?\n---------------------\n\n**Answer**: Yes, with **eta**. {LONG}\n"
    (row,) = [r for r in faq_pairs.rst_faq("celery-faq", text) if r]
    assert row["answer"] == f"Yes, with eta. {LONG}"
