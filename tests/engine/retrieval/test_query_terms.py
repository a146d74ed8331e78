"""query_terms on a real library: the repairs that map a question's words onto the words the library uses."""
from __future__ import annotations

from engine import Engine
from engine.retrieval.stats import query_terms
from engine.retrieval.textmatch import stem

NOTES = {
    "protest.md": "# Civil disobedience\n\nLeGrande writes that a single definition of the term is nearly "
                  "impossible. He encourages a distinction between lawful protest and violent disobedience.\n",
    "forts.md": "# Forts\n\nMarin built a second fort at Fort Le Boeuf, and a grand stockade beside the river.\n",
    "boilers.md": "# Boilers\n\nThe highpressure boiler replaced the old one. A high pressure line feeds the "
                  "turbine, and the pressure gauge sits high on the wall.\n",
}


def _library(tmp_path, embedder):
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, body in NOTES.items():
        (folder / name).write_text(body, encoding="utf-8")
    lib = tmp_path / "lib"
    with Engine.open(lib, embedder=embedder) as eng:
        assert eng.ingest([folder]).ok
    return lib


def test_a_name_the_library_writes_as_one_word_replaces_its_parts(tmp_path, embedder):
    lib = _library(tmp_path, embedder)
    with Engine.open(lib, embedder=embedder) as eng:
        terms = query_terms(eng.db, "What distinction does Le grand encourage?")
        stems = terms.match_stems()
        # "Le grand" is the library's "LeGrande"; never written apart, so "le" and "grand" alone are noise
        assert "legrand" in stems
        assert stem("le") not in stems and stem("grand") not in stems
        hits = eng.search("What distinction does Le grand encourage?", k=2)
    assert hits[0].path.endswith("protest.md")


def test_parts_stay_when_the_library_also_writes_them_apart(tmp_path, embedder):
    lib = _library(tmp_path, embedder)
    with Engine.open(lib, embedder=embedder) as eng:
        stems = query_terms(eng.db, "Where does the high pressure line go?").match_stems()
    # "highpressure" is a word here, but so is the phrase "high pressure": both readings are kept
    assert stem("highpressure") in stems
    assert stem("high") in stems and stem("pressure") in stems
