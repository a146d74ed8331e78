"""parse_text(): Markdown and reStructuredText heading trees with line spans, plain text as one section, and
paragraph chunks that are exact lines and never cross a heading."""
from __future__ import annotations

from pathlib import Path


from engine.ingest.chunking import word_estimate_counter
from engine.ingest.text import markdown_headings, parse_text
from tests.engine.ingest.conftest import write_source




def _line(path: Path, marker: str) -> int:
    return next(n for n, line in enumerate(path.read_text().split("\n"), 1) if marker in line)


def _tree(doc) -> list[tuple[int, str, int | None, int, int]]:
    return [(s.level, s.title, s.parent, s.line_start, s.line_end) for s in doc.sections]


def _assert_exact_and_inside(doc, path: Path) -> None:
    lines = path.read_text().split("\n")
    for c in doc.chunks:
        assert c.text == "\n".join(lines[c.line_start - 1:c.line_end])
        sec = doc.sections[c.section]
        assert sec.line_start <= c.line_start <= c.line_end <= sec.line_end
        # No chunk reaches into a later heading's own lines.
        later = [s.line_start for s in doc.sections if s.line_start > sec.line_start and s.level > 0]
        assert all(not (c.line_start < h <= c.line_end) for h in later)


MARKDOWN = """
    ---
    title: Guide
    # front matter, not a heading
    ---

    Intro paragraph before any heading.

    # Install

    Some text.

    ```bash
    # a shell comment, not a heading
    pip install lectern
    ```

    ## On Linux ##

    Linux text.

    On Windows
    ----------

    Windows text.

    <!--
    # commented out
    -->

    - a list item
    ---

    # Usage
    Text right under the heading.
    #hashtag is not a heading
"""


def test_markdown_headings_form_the_tree(tmp_path):
    path = write_source(tmp_path, "docs/guide.md", MARKDOWN)
    doc = parse_text(path, count_tokens=word_estimate_counter, root=tmp_path)
    n = doc.line_count
    assert (doc.kind, doc.title, doc.language) == ("text", "docs/guide.md", "markdown")
    usage = _line(path, "# Usage")
    assert _tree(doc) == [
        (0, "docs/guide.md", None, 1, n),
        (1, "Install", 0, _line(path, "# Install"), usage - 2),
        (2, "On Linux", 1, _line(path, "## On Linux"), _line(path, "Linux text.")),
        (2, "On Windows", 1, _line(path, "On Windows"), usage - 2),
        (1, "Usage", 0, usage, n),
    ]
    _assert_exact_and_inside(doc, path)
    contexts = {c.context for c in doc.chunks}
    assert "docs/guide.md · Install · On Windows" in contexts
    intro = doc.chunks[0]
    assert intro.section == 0 and intro.line_end == _line(path, "Intro paragraph")


def test_markdown_setext_needs_a_paragraph_and_fences_need_their_own_closer():
    lines = ["Title", "=====", "", "---", "", "````", "```", "# inside", "````", "# After", "* item", "---"]
    assert [(h.first, h.last, h.level, h.title) for h in markdown_headings(lines)] == [
        (1, 2, 1, "Title"), (10, 10, 1, "After")]


def test_rst_titles_levels_follow_first_appearance(tmp_path):
    path = write_source(tmp_path, "guide.rst", """
        =========
         Lectern
        =========

        Intro.

        Install
        =======

        Text.

        From source
        -----------

        Steps::

            Not a title
            ===========

        Usage
        =====

        Done.
    """)
    doc = parse_text(path, count_tokens=word_estimate_counter)
    n = doc.line_count
    assert doc.language == "rst"
    assert _tree(doc) == [
        (0, "guide.rst", None, 1, n),
        (1, "Lectern", 0, 1, n),
        (2, "Install", 1, _line(path, "Install"), _line(path, "Not a title") + 1),
        (3, "From source", 2, _line(path, "From source"), _line(path, "Not a title") + 1),
        (2, "Usage", 1, _line(path, "Usage"), n),
    ]
    _assert_exact_and_inside(doc, path)


def test_plain_text_is_one_section_chunked_by_paragraphs(tmp_path, count_tokens):
    paragraphs = [" ".join(f"Sentence {p}.{s} talks about topic number {p} at some length." for s in range(6))
                  for p in range(10)]
    path = tmp_path / "notes.txt"
    path.write_text("\n\n".join(paragraphs) + "\n")
    doc = parse_text(path, count_tokens=count_tokens, chunk_tokens=120)

    assert doc.language == "text" and [s.title for s in doc.sections] == ["notes.txt"]
    assert doc.line_count == 19
    assert len(doc.chunks) >= 5
    assert all(n <= 120 for n in count_tokens([c.text for c in doc.chunks]))
    # Whole paragraphs are kept together where they fit: each chunk starts and ends on a paragraph line.
    assert all(c.line_start % 2 == 1 and c.line_end % 2 == 1 for c in doc.chunks)
    assert doc.chunks[0].line_start == 1 and doc.chunks[-1].line_end == 19
    _assert_exact_and_inside(doc, path)


def test_a_paragraph_longer_than_the_budget_is_cut_but_keeps_its_line(tmp_path, count_tokens):
    long_line = " ".join(f"word{i}" for i in range(400))
    path = tmp_path / "README"
    path.write_text(f"Short first line.\n\n{long_line}\n")
    doc = parse_text(path, count_tokens=count_tokens, chunk_tokens=64)
    pieces = [c for c in doc.chunks if c.line_start == 3]
    assert len(pieces) > 2 and all(c.line_end == 3 for c in pieces)
    assert all(n <= 64 for n in count_tokens([c.text for c in pieces]))
    assert " ".join(c.text for c in pieces) == long_line
