"""Start Lectern's desktop app: `python main.py [--library DIR] [files or folders to add]`."""
import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())
