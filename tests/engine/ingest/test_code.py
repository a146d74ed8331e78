"""parse_code(): section trees with exact line spans (Python via ast, brace/indent heuristics for other languages),
chunks that are exact source lines inside one definition, decoding fallbacks and refusals."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import EmptyDocumentError, UnreadableDocumentError
from engine.ingest.chunking import word_estimate_counter
from engine.ingest.code import parse_code
from tests.engine.ingest.conftest import write_source




def _line(path: Path, marker: str, nth: int = 0) -> int:
    """1-based number of the nth line containing `marker` in the file as written."""
    hits = [n for n, line in enumerate(path.read_text().split("\n"), 1) if marker in line]
    return hits[nth]


def _outline(doc) -> list[tuple[int, str, int, int]]:
    return [(s.level, s.title, s.line_start, s.line_end) for s in doc.sections[2:]]


def _assert_chunks_are_exact_lines(doc, path: Path) -> None:
    lines = path.read_text().split("\n")
    for c in doc.chunks:
        assert c.text == "\n".join(lines[c.line_start - 1:c.line_end]), (c.line_start, c.line_end)
        sec = doc.sections[c.section]
        assert sec.line_start <= c.line_start <= c.line_end <= sec.line_end


PYTHON = '''
    """Module docstring."""
    import os

    LIMIT = 10


    # Adds two numbers; the comment belongs to the function.
    @functools.lru_cache(
        maxsize=None,
    )
    def add(a, b):
        """Docstring."""
        return a + b


    class Store(Base):
        """A store."""

        size = 0

        @property
        def count(self):
            return self.size

        async def load(self, url):
            return await fetch(url)


    if __name__ == "__main__":
        add(1, 2)
'''


def test_python_sections_have_exact_lines_decorators_and_methods(tmp_path):
    path = write_source(tmp_path, "src/pkg/store.py", PYTHON)
    doc = parse_code(path, count_tokens=word_estimate_counter, root=tmp_path)

    assert (doc.kind, doc.title, doc.language) == ("code", "src/pkg/store.py", "python")
    assert doc.line_count == len(path.read_text().split("\n")) - 1  # the file ends with a newline
    assert [(s.level, s.title, s.parent) for s in doc.sections[:2]] == [(0, "src/pkg", None),
                                                                       (1, "src/pkg/store.py", 0)]
    add_last = _line(path, "return a + b")
    assert _outline(doc) == [
        (2, "def add", _line(path, "# Adds two"), add_last),
        (2, "class Store", _line(path, "class Store"), _line(path, "return await fetch")),
        (3, "def count", _line(path, "@property"), _line(path, "return self.size")),
        (3, "async def load", _line(path, "async def load"), _line(path, "return await fetch")),
    ]
    assert [s.parent for s in doc.sections[2:]] == [1, 1, 3, 3]
    _assert_chunks_are_exact_lines(doc, path)
    by_section = {doc.sections[c.section].title: c for c in doc.chunks}
    assert by_section["def add"].text.startswith("# Adds two numbers")
    assert by_section["def count"].context == "src/pkg/store.py · class Store · def count"
    # The class's own lines (header, docstring, field) stop before its first method.
    assert by_section["class Store"].line_end == _line(path, "size = 0")
    # Module-level code before and after the definitions belongs to the file section.
    file_chunks = [c for c in doc.chunks if c.section == 1]
    assert [(c.line_start, c.line_end) for c in file_chunks] == [
        (1, _line(path, "LIMIT")), (_line(path, "__main__"), _line(path, "add(1, 2)"))]


def test_long_function_is_split_into_chunks_that_cover_exactly_its_lines(tmp_path, count_tokens):
    body = []
    for block in range(12):
        body.append(f"    # step {block}: accumulate the running totals for this block")
        body += [f"    total_{block}_{i} = compute_value(alpha_{i}, beta_{i}, gamma={block})" for i in range(3)]
        body.append("")
    source = "import math\n\n\ndef long_function(alpha, beta):\n" + "\n".join(body).rstrip() + "\n    return 0\n"
    path = tmp_path / "long.py"
    path.write_text(source)

    # One commented block of 4 lines is about 80 tokens: two never fit in 100, so each chunk is one block.
    doc = parse_code(path, count_tokens=count_tokens, chunk_tokens=100)

    fn = next(i for i, s in enumerate(doc.sections) if s.title == "def long_function")
    first, last = doc.sections[fn].line_start, doc.sections[fn].line_end
    assert (first, last) == (_line(path, "def long_function"), _line(path, "return 0"))
    parts = [c for c in doc.chunks if c.section == fn]
    assert len(parts) == 12
    assert parts[0].line_start == first and parts[-1].line_end == last
    lines = source.split("\n")
    for a, b in zip(parts, parts[1:]):  # consecutive; any gap is blank lines only
        assert a.line_end < b.line_start
        assert all(not lines[k - 1].strip() for k in range(a.line_end + 1, b.line_start))
    assert all(n <= 100 for n in count_tokens([c.text for c in parts]))
    _assert_chunks_are_exact_lines(doc, path)
    # Cuts fall on blank lines between the commented blocks, not inside a block.
    assert all(lines[c.line_start - 1].lstrip().startswith(("# step", "def ")) for c in parts)


def test_every_chunk_fits_the_real_tokenizer_budget_and_no_line_is_lost(tmp_path, count_tokens):
    path = write_source(tmp_path, "store.py", PYTHON * 1)
    doc = parse_code(path, count_tokens=count_tokens, chunk_tokens=40)
    lines = path.read_text().split("\n")
    covered = {k for c in doc.chunks for k in range(c.line_start, c.line_end + 1)}
    assert covered >= {n for n, line in enumerate(lines, 1) if line.strip()}
    assert max(count_tokens([c.text for c in doc.chunks])) <= 40
    _assert_chunks_are_exact_lines(doc, path)


# Expected outline rows: (level, title, marker on the first line, marker on a line before the last, lines after it).
BRACE_CASES = {
    "app.js": ('''
        // Utilities with tricky braces: "}" in strings, /[{]/ in a regex, `${x}` in templates.
        const re = /[{]/g;

        /** Adds. */
        export function add(a, b) {
          if (a) {
            return `${a + b} }`;
          }
          return a + b;
        }

        export const mul = (a, b) => {
          return a * b;
        };

        export class Widget extends Base {
          count = 0

          async load(url) {
            return fetch(url, { method: "GET" });
          }
        }

        describe("x", () => {
          it("works", () => {});
        });
        ''', [(2, "function add", "/** Adds.", "return a + b;", 1),
              (2, "function mul", "export const mul", "return a * b", 1),
              (2, "class Widget", "export class Widget", "return fetch", 2),
              (3, "load()", "async load", "return fetch", 1)]),
    "server.go": ('''
        package main

        // Server serves.
        type Server struct {
        	addr string // "}"
        }

        // Handle handles.
        func (s *Server) Handle(w int) error {
        	fmt.Println(`raw { string`)
        	return nil
        }

        func main() {
        	s := &Server{addr: ":80"}
        	s.Handle(1)
        }
        ''', [(2, "type Server", "// Server serves", "addr string", 1),
              (2, "func Server.Handle", "// Handle handles", "return nil", 1),
              (2, "func main", "func main", "s.Handle(1)", 1)]),
    "point.rs": ('''
        use std::fmt;

        /// A point.
        #[derive(Debug)]
        pub struct Point {
            x: i32,
        }

        impl<'a> fmt::Display for Point {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{{{}}}", self.x)
            }
        }

        fn main() {
            let c = '{';
            let s = r#"raw { "#;
        }
        ''', [(2, "struct Point", "/// A point", "x: i32", 1),
              (2, "impl fmt::Display for Point", "impl<'a>", "write!", 2),
              (3, "fn fmt", "fn fmt", "write!", 1),
              (2, "fn main", "fn main", "raw {", 1)]),
    "calc.c": ('''
        #include <stdio.h>
        #define MAX(a, b) ((a) > (b) ? (a) : (b))

        /* A point. */
        struct point {
            int x, y;
        };

        static int
        add(int a, int b)
        {
            /* { not a brace */
            return a + b;
        }

        int main(int argc, char **argv) {
            char c = '{';
            printf("%d }\\n", add(1, 2));
            return 0;
        }
        ''', [(2, "struct point", "/* A point", "int x, y", 1),
              (2, "add()", "static int", "return a + b", 1),
              (2, "main()", "int main", "return 0", 1)]),
}


@pytest.mark.parametrize("name", sorted(BRACE_CASES))
def test_brace_language_heuristics_find_definitions_and_their_ends(tmp_path, name):
    source, expected = BRACE_CASES[name]
    path = write_source(tmp_path, name, source)
    doc = parse_code(path, count_tokens=word_estimate_counter)
    assert _outline(doc) == [(level, title, _line(path, start), _line(path, end) + after)
                             for level, title, start, end, after in expected]
    _assert_chunks_are_exact_lines(doc, path)


@pytest.mark.parametrize("name, source, expected", [
    ("A.java", '''
        public class A<T> extends B {
            private int x = 0;

            @Override
            public String toString() {
                return "A{" + x + "}";
            }
        }
        ''', [(2, "class A", 1, 8), (3, "toString()", 4, 7)]),
    ("store.ts", '''
        export interface Opts {
          a: number;
        }

        class Store<T> {
          get size(): number {
            return 1;
          }
        }
        ''', [(2, "interface Opts", 1, 3), (2, "class Store", 5, 9), (3, "size()", 6, 8)]),
    ("bar.rb", '''
        module Foo
          # A bar.
          class Bar
            def risky
              do_it
            rescue => e
              log(e)
            end
          end
        end
        ''', [(2, "class Bar", 2, 9), (3, "def risky", 4, 8)]),
    ("run.sh", '''
        #!/bin/bash
        usage() {
          echo "usage: ${0##*/} {start|stop}"
        }

        main "$@"
        ''', [(2, "usage()", 2, 4)]),
])
def test_more_languages(tmp_path, name, source, expected):
    path = write_source(tmp_path, name, source)
    doc = parse_code(path, count_tokens=word_estimate_counter)
    assert _outline(doc) == expected
    _assert_chunks_are_exact_lines(doc, path)


def test_latin1_file_decodes_with_a_warning(tmp_path):
    path = tmp_path / "legacy.c"
    path.write_bytes("/* Café crème */\nint main(void) { return 0; }\n".encode("latin-1"))
    doc = parse_code(path, count_tokens=word_estimate_counter)
    assert "Café crème" in doc.chunks[0].text
    assert len(doc.warnings) == 1 and "cp1252" in doc.warnings[0]


def test_utf8_bom_and_crlf_keep_line_numbers(tmp_path):
    path = tmp_path / "win.py"
    path.write_bytes(b"\xef\xbb\xbfimport os\r\n\r\ndef f():\r\n    return 1\r\n")
    doc = parse_code(path, count_tokens=word_estimate_counter)
    assert doc.warnings == []
    assert _outline(doc) == [(2, "def f", 3, 4)]
    assert doc.chunks[0].text == "import os"
    assert doc.chunks[1].text == "def f():\n    return 1"


def test_python_syntax_error_falls_back_to_indentation_with_a_warning(tmp_path):
    path = write_source(tmp_path, "broken.py", '''
        def ok():
            return 1

        def broken(:
            pass
        ''')
    doc = parse_code(path, count_tokens=word_estimate_counter)
    assert [t for _, t, _, _ in _outline(doc)] == ["def ok", "def broken"]
    assert "syntax error at line 4" in doc.warnings[0]


def test_empty_and_binary_files_are_refused(tmp_path):
    empty = tmp_path / "empty.py"
    empty.write_bytes(b"")
    with pytest.raises(EmptyDocumentError):
        parse_code(empty, count_tokens=word_estimate_counter)
    blank = tmp_path / "blank.py"
    blank.write_text("\n   \n")
    with pytest.raises(EmptyDocumentError):
        parse_code(blank, count_tokens=word_estimate_counter)
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\x00\x01\x02ELF" * 50)
    with pytest.raises(UnreadableDocumentError):
        parse_code(binary, count_tokens=word_estimate_counter)


def test_file_without_definitions_is_one_file_section(tmp_path):
    path = write_source(tmp_path, "conf/settings.yaml", '''
        name: lectern
        version: 1

        paths:
          - a
        ''')
    doc = parse_code(path, count_tokens=word_estimate_counter, root=tmp_path)
    assert [s.title for s in doc.sections] == ["conf", "conf/settings.yaml"]
    assert [(c.section, c.line_start, c.line_end) for c in doc.chunks] == [(1, 1, 5)]
    assert doc.chunks[0].context == "conf/settings.yaml"
