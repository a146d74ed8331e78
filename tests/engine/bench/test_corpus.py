"""The generated documents: repeatable, the size asked for, with an outline, and readable by the PDF parser."""
from __future__ import annotations

from engine.bench.corpus import book_pages, fact_document, make_book, make_library, make_queries
from engine.ingest.chunking import word_estimate_counter as count_tokens
from engine.ingest.pdf import page_count, parse_pdf, pdf_outline


def test_same_seed_same_book_and_other_seed_other_book():
    a = book_pages(6, seed=3)
    assert a == book_pages(6, seed=3)
    assert a[1] != book_pages(6, seed=4)[1]


def test_book_pages_hold_a_page_of_words_and_chapters_start_the_outline():
    title, pages, toc = book_pages(30, seed=1)
    assert len(pages) == 30
    per_page = [sum(len(text.split()) for _, text in blocks) for blocks in pages]
    assert min(per_page) >= 300 and max(per_page) < 600
    assert toc[0][0] == 1 and toc[0][2] == 1 and "Chapter 1" in toc[0][1]
    assert any(level == 2 for level, _, _ in toc)
    assert [p for _, _, p in toc] == sorted(p for _, _, p in toc)


def test_written_book_parses_with_its_outline_and_without_the_running_footer(tmp_path):
    pdf = make_book(tmp_path / "b.pdf", 8, seed=2)
    title, _, toc = book_pages(8, seed=2)
    assert page_count(pdf) == 8
    assert [(lvl, t, p) for lvl, t, p in pdf_outline(pdf)] == toc
    doc = parse_pdf(pdf, count_tokens=count_tokens)
    assert doc.page_count == 8 and doc.chunks
    assert not any(f"{title} — " in c.text for c in doc.chunks)  # footer removed as a running margin line


def test_library_adds_up_to_at_least_the_pages_asked(tmp_path):
    paths = make_library(tmp_path / "lib", 50, seed=9, book_range=(12, 20))
    assert len(paths) >= 3
    total = sum(page_count(p) for p in paths)
    assert 50 <= total < 50 + 20


def test_queries_are_seeded_and_varied():
    q = make_queries(30, seed=1)
    assert q == make_queries(30, seed=1)
    assert len(set(q)) >= 25 and all(2 <= len(x.split()) <= 16 for x in q)


def test_fact_document_holds_the_facts_its_questions_ask_about(tmp_path):
    pdf, questions = fact_document(tmp_path / "f.pdf", 3, seed=11)
    text = " ".join(c.text for c in parse_pdf(pdf, count_tokens=count_tokens).chunks)
    assert len(questions) == 4
    assert "4,200 crowns" in text and "Elsa Lindqvist" in text and "312 passengers" in text
