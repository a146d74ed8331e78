"""Starting the app: the QApplication, logging to the platform's log folder, the crash handler, the window."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from . import crash, display_check, icons
from .file_open import FileOpenForwarder
from .qt import QApplication, Qt, QTimer

log = logging.getLogger(__name__)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="lectern-app", description="Lectern: read long documents and code, ask "
                                                                "questions, check the citations.")
    p.add_argument("--library", metavar="DIR", help="library folder (default: the last one used, or the platform's "
                                                    "user data folder)")
    p.add_argument("--self-test", action="store_true",
                   help="check this installation headless: ingest a small PDF, ask the packaged model, verify "
                        "the citation; exit 0 when it works")
    p.add_argument("paths", nargs="*", help="files or folders to add to the library on start")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from .self_test import main as self_test

        return self_test()
    problem = None if QApplication.instance() else display_check.display_problem()
    if problem:
        _report_start_failure(problem)
        return 1
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Lectern")
    app.setApplicationDisplayName("Lectern")
    app.setDesktopFileName("lectern")
    log_file = crash.setup_logging()
    crash.install()
    log.info("Lectern starting; log at %s", log_file)
    app.setWindowIcon(icons.app_icon())

    from .main_window import MainWindow  # after the QApplication: widgets read the palette when built

    window = MainWindow(args.library)
    window.show()
    if sys.platform == "darwin":  # "Open With" and Dock drops arrive as events there, not in argv
        # an application-wide filter sees every event, so it is installed only where those events exist
        app.installEventFilter(FileOpenForwarder(window.add_paths, window))
    if args.paths:
        window.add_paths(args.paths)
    if os.environ.get("LECTERN_QUIT_AFTER_START"):  # packaging/check.sh times the start to a shown window
        QTimer.singleShot(0, app.quit)
    return app.exec()


def _report_start_failure(problem: str) -> None:
    """To stderr and to the log file: a copy started from a file manager has no terminal to show stderr."""
    QApplication.setApplicationName("Lectern")  # static: names the log folder before any application object
    try:
        log_file = crash.setup_logging()
    except OSError:  # no writable log folder: stderr is all there is
        print(f"lectern: {problem}", file=sys.stderr)
        return
    log.error("lectern: %s (this message is also in %s)", problem, log_file)


if __name__ == "__main__":
    sys.exit(main())
