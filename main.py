"""Start Lectern's desktop app: `python main.py [--library DIR] [files or folders to add]`.

`python main.py --self-test` checks the installation headless (see app/self_test.py). It is handled before the
app module is imported, so it needs no Qt libraries and no display: a packaged bundle runs it right after building.
"""
import sys

if __name__ == "__main__":
    if "--self-test" in sys.argv[1:]:
        from app.self_test import main as self_test

        sys.exit(self_test())
    from app.main import main

    sys.exit(main())
