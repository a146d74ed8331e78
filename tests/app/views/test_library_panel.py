"""The library sidebar on its own: how documents are described, grouped, filtered, and how progress shows."""
from __future__ import annotations

from app.views.library_panel import STATE_ROLE, SUBTITLE_ROLE, LibraryPanel, describe
from engine import DocumentInfo, FileReport, IngestReport, Progress


def doc(path, kind="pdf", status="indexed", **kw) -> DocumentInfo:
    base = dict(id=1, path=path, kind=kind, title="", status=status, error=None, pages=None, lines=None, chunks=1,
                size=10)
    base.update(kw)
    return DocumentInfo(**base)


def test_describe_says_kind_size_and_status_in_words():
    assert describe(doc("/a.pdf", pages=12)) == ("PDF · 12 pages", "ok")
    assert describe(doc("/a.pdf", pages=12, pages_without_text=3)) == ("PDF · 12 pages · 3 pages without text",
                                                                       "warn")
    assert describe(doc("/x.py", kind="code", lines=1)) == ("Code · 1 line", "ok")
    assert describe(doc("/a.pdf", status="failed", error="The PDF is password-protected.")) == (
        "Failed: The PDF is password-protected.", "failed")
    assert describe(doc("/a.pdf", status="incomplete", pages=4))[1] == "busy"


def test_code_files_are_grouped_under_their_folder_and_filtered(qtbot):
    panel = LibraryPanel()
    qtbot.addWidget(panel)
    panel.set_documents([doc("/repo/src/app.py", kind="code", lines=10, root="/repo"),
                         doc("/repo/README.md", kind="text", lines=5, root="/repo"),
                         doc("/docs/manual.pdf", pages=3)])
    folder = panel.item("/repo")
    assert folder.childCount() == 2 and folder.data(0, SUBTITLE_ROLE) == "2 files"
    assert panel.tree.topLevelItemCount() == 2
    assert panel.count_label.text() == "3"
    panel.filter.setText("manual")
    assert folder.isHidden() and not panel.item("/docs/manual.pdf").isHidden()
    panel.filter.setText("app")
    assert not folder.isHidden() and panel.item("/repo/README.md").isHidden()


def test_ingest_progress_shows_per_file_and_overall(qtbot):
    panel = LibraryPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.ingest_started()
    assert panel.stack.currentWidget() is panel.empty
    panel.ingest_progress(Progress("files", 1, 4, "files", "/docs/b.pdf"))
    panel.ingest_progress(Progress("parse", 5, 10, "pages", "/docs/b.pdf"))
    status = panel.status
    assert status.title.text() == "Indexing b.pdf"
    assert status.overall_bar.value() == 1 and status.overall_bar.maximum() == 4
    assert status.file_bar.value() == 25  # reading is the first half of a file's work
    assert status.detail.text() == "File 2 of 4 · Reading page 5 of 10"
    item = panel.item("/docs/b.pdf")  # not in the library yet: shown as it is being indexed
    assert item.data(0, SUBTITLE_ROLE) == "Indexing 25%" and item.data(0, STATE_ROLE) == "busy"
    panel.ingest_progress(Progress("embed", 10, 10, "chunks", "/docs/b.pdf"))
    assert status.file_bar.value() == 100
    panel.ingest_finished(IngestReport(files=[FileReport("/docs/b.pdf", "indexed"),
                                              FileReport("/docs/c.xyz", "skipped", message="Not a file type "
                                                                                            "Lectern reads.")]))
    assert not status.progress.isVisible()
    assert "c.xyz" in status.problem_summary and "Not a file type Lectern reads." in status.problem_summary
