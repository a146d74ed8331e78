"""Drive the real app under Xvfb and save a screenshot of each state under docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--keep-library DIR]

Empty library → files dragged over the window → the PDF indexed and open → a question answered → a citation
clicked (the quoted words highlighted) → the settings panel. It starts its own Xvfb (Debian package `xvfb`) unless
`--display` names a running X server; the app itself runs unchanged, with the real engine and model.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCREEN = (1480, 920)

MANUAL = [
    ("1 Introduction", [
        "The Vulcan VB-200 is a three-pass fire-tube steam boiler for workshops, laundries and small "
        "breweries. This manual explains how to install it, how to run it safely, and how to keep it in good "
        "condition for the twenty years it is designed to last.",
        "Read the safety chapter before you light the burner for the first time. Keep this manual next to the "
        "boiler, where the operator can reach it."]),
    ("2 Safety", [
        "Only a trained operator may start the boiler. Never leave a boiler under pressure unattended for more "
        "than two hours, and never wedge or weight the safety valve.",
        "If the water level falls out of sight in the gauge glass, shut the burner off at once and let the "
        "boiler cool. Do not add cold feed water to a hot, empty boiler: the shell can crack."]),
    ("3 Pressure limits", [
        "The maximum allowable working pressure of the VB-200 is 10 bar. In normal service keep the working "
        "pressure between 6 and 8 bar; the pressure switch stops the burner at 8.5 bar.",
        "The safety valve is set to open at 10.5 bar and vents steam through the roof pipe. Test it by hand "
        "once a week by lifting the lever until steam escapes for two seconds."]),
    ("4 Start-up", [
        "Open the main steam valve one turn, fill the boiler until the water stands at the middle of the gauge "
        "glass, and check that the blow-down valve is closed.",
        "Start the feed pump, switch the burner to low fire, and let the boiler warm up for at least thirty "
        "minutes before you switch to high fire."]),
    ("5 Maintenance", [
        "Blow down the boiler every day at the start of the shift to remove sludge from the bottom of the "
        "shell. Drain the mud drum every Monday morning.",
        "Inspect the gauge glass weekly and replace it when it turns cloudy. Have an authorised inspector "
        "examine the boiler once a year, with the fire tubes cleaned and the shell open."]),
    ("6 Troubleshooting", [
        "If the burner locks out, wait five minutes before pressing the reset button; repeated resets flood the "
        "combustion chamber with oil.",
        "If the pressure rises above 9 bar, the pressure switch has failed: shut the burner off by hand and "
        "call a service engineer before running the boiler again."]),
]
QUESTION = "What is the maximum working pressure of the boiler?"


def make_manual(path: Path) -> Path:
    """A six-page operating manual with headings, an outline and real paragraphs."""
    import pymupdf

    doc = pymupdf.open()
    toc = []
    for n, (title, paras) in enumerate(MANUAL, start=1):
        page = doc.new_page(width=595, height=842)
        body = "".join(f"<p>{p}</p>" for p in paras)
        html = (f"<h1 style='font-family: sans-serif; font-size: 20px; color: #1d3557'>{title}</h1>"
                f"<div style='font-family: serif; font-size: 12px; line-height: 1.5'>{body}</div>")
        page.insert_htmlbox(pymupdf.Rect(72, 72, 523, 760), html)
        page.insert_text((72, 40), "Vulcan VB-200 — Operating manual", fontsize=8, color=(0.45, 0.45, 0.45))
        page.insert_text((510, 810), str(n), fontsize=9, color=(0.45, 0.45, 0.45))
        toc.append([1, title, n])
    doc.set_toc(toc)
    doc.save(path)
    doc.close()
    return path


def start_xvfb(display: str) -> subprocess.Popen:
    if shutil.which("Xvfb") is None:
        sys.exit("Xvfb is not installed: `apt-get install -y xvfb` (Debian/Ubuntu).")
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socket = Path(f"/tmp/.X11-unix/X{display.lstrip(':')}")
    for _ in range(100):
        if socket.exists():
            return proc
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"Xvfb did not start on {display}.")


class Driver:
    """Runs the event loop until a condition holds, and saves screenshots."""

    def __init__(self, app, out: Path, suffix: str = ""):
        self.app, self.out, self.suffix = app, out, suffix
        out.mkdir(parents=True, exist_ok=True)

    def wait(self, cond=lambda: False, timeout: float = 2.0, what: str = "") -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.app.processEvents()
            if cond():
                self.settle()
                return
            time.sleep(0.01)
        if what:
            raise SystemExit(f"timed out waiting for {what}")

    def settle(self, seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    def shoot(self, name: str, widget=None) -> Path:
        from app.qt import QGuiApplication

        self.settle()
        pix = widget.grab() if widget is not None else QGuiApplication.primaryScreen().grabWindow(0)
        path = self.out / f"{name}{self.suffix}.png"
        pix.save(str(path))
        print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return path


def dark_palette():
    """The palette a dark desktop theme hands a Qt app (the app itself never picks colours like these)."""
    from app.qt import QColor, QPalette

    pal = QPalette()
    roles = {"Window": "#2b2d30", "WindowText": "#dfe1e5", "Base": "#1e1f22", "AlternateBase": "#2b2d30",
             "ToolTipBase": "#3c3f41", "ToolTipText": "#dfe1e5", "Text": "#dfe1e5", "Button": "#35373b",
             "ButtonText": "#dfe1e5", "BrightText": "#ffffff", "Highlight": "#3574f0", "HighlightedText": "#ffffff",
             "Link": "#589df6", "PlaceholderText": "#8c8f94", "Mid": "#4e5157", "Dark": "#1b1c1f",
             "Light": "#45484d", "Midlight": "#393b40", "Shadow": "#111214"}
    for role, colour in roles.items():
        pal.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    for role in ("WindowText", "Text", "ButtonText"):
        pal.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor("#6f737a"))
    return pal


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    p.add_argument("--display", help="use this running X server instead of starting Xvfb")
    p.add_argument("--keep-library", type=Path, help="use (and keep) this library folder")
    p.add_argument("--answer-timeout", type=float, default=300.0)
    p.add_argument("--dark", action="store_true",
                   help="give the app a dark system palette (as a dark desktop theme would) and add -dark to names")
    args = p.parse_args()

    xvfb = None
    if args.display:
        os.environ["DISPLAY"] = args.display
    else:
        display = ":97"
        xvfb = start_xvfb(display)
        os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    work = Path(tempfile.mkdtemp(prefix="lectern-shots-"))
    try:
        return run(args, work)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
        shutil.rmtree(work, ignore_errors=True)


def run(args, work: Path) -> int:
    from app import icons
    from app.qt import QApplication, QDragEnterEvent, QDropEvent, QMimeData, QPointF, Qt, QUrl

    app = QApplication([sys.argv[0]])
    app.setApplicationName("Lectern")
    if args.dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    app.setWindowIcon(icons.app_icon())
    from app.main_window import MainWindow
    from app.state import AppState

    library = args.keep_library or work / "library"
    docs = work / "Documents"
    docs.mkdir()
    pdf = make_manual(docs / "vulcan-vb200-manual.pdf")
    d = Driver(app, args.out, "-dark" if args.dark else "")

    win = MainWindow(library, state=AppState(work / "app.ini"))
    win.setGeometry(0, 0, *SCREEN)
    win.show()
    d.wait(lambda: win.isVisible() and win.library.engine is not None, 5, "the window")
    d.settle(0.8)
    d.shoot("01-empty-library", win)

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(pdf))])
    centre = QPointF(SCREEN[0] / 2, SCREEN[1] / 2)
    win.dragEnterEvent(QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                       Qt.KeyboardModifier.NoModifier))
    d.shoot("02-drop", win)
    win.dropEvent(QDropEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier))
    d.wait(lambda: not win.library.ingesting and win.library_panel.documents, 300, "indexing")
    doc = win.library.document(str(pdf))
    if doc is None or doc.status != "indexed":
        raise SystemExit(f"the manual was not indexed: {doc}")
    win.library_panel.item(str(pdf)).setSelected(True)
    win.open_document(doc)
    d.wait(lambda: 1 in win.reader.pdf.rendered_pages(), 20, "the first page")
    d.shoot("03-library-and-reader", win)

    panel = win.ask_panel
    panel.scope.setCurrentIndex(panel.scope.findData("document"))
    panel.question.setPlainText(QUESTION)
    panel.ask()
    d.wait(lambda: not win.ask_controller.busy and win.ask_controller.turns, args.answer_timeout, "the answer")
    d.shoot("04-answer", win)

    turn = win.ask_controller.turns[-1]
    if turn.citations:
        panel.activate_citation(len(win.ask_controller.turns) - 1, turn.citations[0].id)
        d.wait(lambda: win.reader.pdf.highlights("citation"), 20, "the highlighted citation")
        page = win.reader.pdf.current_page
        d.wait(lambda: page in win.reader.pdf.rendered_pages(), 10)
    elif turn.sources:
        panel.targetActivated.emit(turn.sources[0])
        d.wait(lambda: win.reader.pdf.highlights("citation"), 20)
    d.shoot("05-citation-highlighted", win)

    win.open_settings()
    dlg = win.settings_dialog
    d.wait(lambda: dlg.report is not None, 20, "the model facts")
    d.settle(0.5)
    d.shoot("06-settings", dlg)  # the dialog itself: under Xvfb there is no window manager to frame it
    dlg.close()
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
