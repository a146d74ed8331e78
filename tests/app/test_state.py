"""What the app remembers: recent libraries, newest first, without duplicates."""
from __future__ import annotations

from app.state import MAX_RECENT, AppState


def test_recent_libraries_newest_first_and_bounded(tmp_path):
    state = AppState(tmp_path / "app.ini")
    for i in range(MAX_RECENT + 2):
        state.add_recent(tmp_path / f"lib{i}")
    state.add_recent(tmp_path / "lib3")
    again = AppState(tmp_path / "app.ini")
    recent = again.recent_libraries()
    assert recent[0] == str(tmp_path / "lib3")
    assert len(recent) == MAX_RECENT and len(set(recent)) == MAX_RECENT
    assert again.last_library() == str(tmp_path / "lib3")
