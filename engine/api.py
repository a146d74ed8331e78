"""The facade: `Engine` opens a library and is the one object callers (CLI, app, scripts, benchmarks) talk to.

    with Engine.open(library_dir) as eng:
        report = eng.ingest(["manual.pdf", "src/"], progress=print, cancel=stop_event)
        for source in eng.search("how do I configure the proxy", k=5):
            ...

Heavy parts load on first use: the embedder when something needs vectors, the language model when a question
is asked. The engine is synchronous; long calls take `progress=` and `cancel=`.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .cancel import CancelToken, ProgressCallback, as_predicate, report
from .errors import DocumentNotFoundError, EngineError, StoreError
from .paths import default_library_dir
from .settings import Settings
from .store.db import Database
from .store.library import LibraryStore
from .types import Answer, DocumentInfo, DoneEvent, IngestReport, SectionInfo, Source, StreamEvent

if TYPE_CHECKING:
    from .index.embedder import Embedder
    from .index.vectors import VectorIndex

log = logging.getLogger(__name__)
EMBEDDER_KEY = "embedder"
MIN_CAPPED_BUDGET = 1024  # the probe's cap never leaves less document context than this


class Engine:
    """A Lectern library opened for reading and writing. Use `Engine.open(...)`; close it (or use `with`)."""

    def __init__(self, library_dir: Path, settings: Settings, *, embedder: Any = None, llm: Any = None):
        self.library_dir = library_dir
        self.settings = settings
        self._stack = ExitStack()
        self._lock = threading.RLock()  # guards lazy loading; ingest itself is serialised by the caller
        self.db = Database(library_dir)
        self._stack.callback(self.db.close)
        self.store = LibraryStore(self.db)
        self._embedder = embedder
        self._vectors: VectorIndex | None = None
        self._llm = llm
        self._answerer: Any = None

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, library_dir: str | os.PathLike | None = None, *, settings: Settings | None = None,
             embedder: Any = None, llm: Any = None) -> "Engine":
        """Open (creating if needed) the library folder.

        Args:
            library_dir: the library folder; None uses `LECTERN_LIBRARY` or the platform's user data folder.
            settings: settings to use instead of the library's saved ones (not saved unless `save_settings()`).
            embedder: an object with the `Embedder` interface, to use instead of loading one (tests, scripts).
            llm: a language-model backend to use instead of loading one from the settings.
        Raises:
            StoreError: the folder or its database cannot be opened.
            SettingsError: the saved settings file is unreadable.
        """
        path = Path(library_dir).expanduser() if library_dir else default_library_dir()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"The library folder {path} cannot be created: {exc.strerror or exc}") from exc
        if not os.access(path, os.W_OK):
            raise StoreError(f"The library folder {path} is not writable.")
        loaded = settings if settings is not None else Settings.load(path)
        return cls(path.resolve(), loaded, embedder=embedder, llm=llm)

    def close(self) -> None:
        """Release the model, the index and the database."""
        for thing in (self._answerer, self._llm, self._embedder):
            closer = getattr(thing, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:  # noqa: BLE001 - closing must release the rest too
                    log.exception("closing %r failed", thing)
        self._answerer = self._llm = self._embedder = None
        self._stack.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save_settings(self, settings: Settings | None = None) -> None:
        """Validate and persist settings in the library (the app and the CLI share them)."""
        new = settings if settings is not None else self.settings
        new.validate()
        reload_llm = settings is not None and settings.llm != self.settings.llm
        reload_emb = settings is not None and settings.embedder != self.settings.embedder
        self.settings = new
        new.save(self.library_dir)
        if reload_llm:
            self._release_llm()
        if reload_emb and self._embedder is not None:
            self._embedder.close()
            self._embedder = None

    # ------------------------------------------------------------------ parts, loaded on first use
    @property
    def embedder(self) -> "Embedder":
        with self._lock:
            if self._embedder is None:
                from .index.embedder import Embedder

                e = self.settings.embedder
                self._embedder = Embedder.load(e.model_path or None, backend=e.backend, batch_size=e.batch_size,
                                                precision=e.precision)
            return self._embedder

    @property
    def vectors(self) -> "VectorIndex":
        """The dense index, in step with the database (reloaded or rebuilt when another process changed it)."""
        with self._lock:
            from .index.vectors import VectorIndex, blobs_to_vectors

            if self._vectors is None:
                self._vectors = VectorIndex(self.library_dir, self.embedder.dim)
                self._vectors.load()
            want = self.store.generation()
            if self._vectors.generation != want and self._vectors.load() != want:
                ids, blobs = [], []
                for batch_ids, batch_blobs in self.store.all_embeddings():
                    ids.extend(batch_ids)
                    blobs.extend(batch_blobs)
                dim = self._vectors.dim
                self._vectors.rebuild(np.asarray(ids, dtype=np.int64), blobs_to_vectors(blobs, dim), want)
                self._save_vectors_quietly()
            return self._vectors

    def _save_vectors_quietly(self) -> None:
        try:
            self._vectors.save(self.store.generation())  # type: ignore[union-attr]
        except StoreError:
            log.warning("could not save the vector index; it will be rebuilt next time", exc_info=True)

    def _check_embedder_identity(self) -> None:
        """Vectors of different models must never be mixed in one index."""
        stored = self.db.meta(EMBEDDER_KEY)
        name = self.embedder.name
        if stored is None:
            with self.db.session() as s:
                Database.set_meta(s, EMBEDDER_KEY, name)
        elif stored != name:
            raise StoreError(f"This library was indexed with the embedding model {stored!r}, but {name!r} is "
                             f"configured. Run `lectern reindex` to re-embed it, or switch the embedder back.")

    # ------------------------------------------------------------------ library
    def ingest(self, paths: Iterable[str | os.PathLike], *, progress: ProgressCallback = None,
               cancel: CancelToken = None) -> IngestReport:
        """Add files and folders to the library (or bring them up to date).

        Unchanged files are skipped by hash, changed ones re-indexed; documents left incomplete by an earlier,
        interrupted ingest are finished too. A bad file is reported and the batch goes on.

        Returns:
            An `IngestReport` with one `FileReport` per file found.
        Raises:
            StoreError / ModelError: the library or the embedder cannot be used at all.
        """
        from .ingest.pipeline import IngestPipeline

        wanted = [Path(p).expanduser().absolute() for p in paths]
        resume = [Path(d.path) for d in self.store.documents() if d.status == "incomplete"
                  and not any(Path(d.path) == w or Path(d.path).is_relative_to(w) for w in wanted)]
        report(progress, stage="load", done=0, total=0, message="Loading the embedding model…")
        self._check_embedder_identity()
        pipeline = IngestPipeline(self.store, self.vectors, self.embedder, self.settings.ingest,
                                  self._save_vectors_quietly)
        return pipeline.run([*wanted, *resume], progress, as_predicate(cancel))

    def documents(self) -> list[DocumentInfo]:
        """Every document in the library with its status, sorted by path."""
        return self.store.documents()

    def document(self, path: str | os.PathLike) -> DocumentInfo:
        p = str(Path(path).expanduser().absolute())
        for d in self.store.documents():
            if d.path == p:
                return d
        raise DocumentNotFoundError(f"{p} is not in the library.")

    def remove(self, paths: Iterable[str | os.PathLike]) -> list[str]:
        """Remove documents (a folder path removes everything ingested from inside it).

        Returns:
            The paths of the removed documents.
        Raises:
            DocumentNotFoundError: a path matches nothing in the library (nothing is removed then).
        """
        docs = []
        for p in paths:
            found = self.store.documents_under(str(Path(p).expanduser().absolute()))
            if not found:
                raise DocumentNotFoundError(f"{Path(p).expanduser().absolute()} is not in the library.")
            docs.extend(found)
        if not docs:
            return []
        vectors = self.vectors if self.db.meta(EMBEDDER_KEY) else None
        chunk_ids, _ = self.store.remove(d.id for d in docs)
        if vectors is not None:
            vectors.remove(chunk_ids)
            self._save_vectors_quietly()
        return sorted(d.path for d in docs)

    def sections(self, path: str | os.PathLike) -> list[SectionInfo]:
        """The outline of a document (sections in reading order, with parent ids)."""
        return self.store.sections(self.document(path).id)

    # ------------------------------------------------------------------ search
    def _scope(self, docs: Sequence[str | os.PathLike] | None) -> list[int] | None:
        if not docs:
            return None
        ids: list[int] = []
        for p in docs:
            found = self.store.documents_under(str(Path(p).expanduser().absolute()))
            if not found:
                raise DocumentNotFoundError(f"{Path(p).expanduser().absolute()} is not in the library.")
            ids.extend(d.id for d in found)
        return ids

    def retriever(self):
        from .retrieval.hybrid import HybridRetriever

        embedder = None
        if self.db.meta(EMBEDDER_KEY) is not None:
            self._check_embedder_identity()
            embedder = self.embedder
        vectors = self.vectors if embedder is not None else None
        if vectors is None:
            from .index.vectors import VectorIndex

            vectors = VectorIndex(self.library_dir, 1)
        return HybridRetriever(self.db, vectors, embedder, self.settings.retrieval)

    def search(self, query: str, *, k: int | None = None, docs: Sequence[str | os.PathLike] | None = None
               ) -> list[Source]:
        """The passages that best answer `query`, best first.

        Args:
            query: a question or keywords.
            k: how many passages (default: the `retrieval.k` setting).
            docs: restrict to these documents or folders (paths as ingested); None searches everything.
        Returns:
            Sources with path, 1-based page or line range, score, text and rectangles on the page.
        """
        from .retrieval.sources import to_sources

        if not query or not query.strip():
            raise EngineError("The search query is empty.")
        k = k or self.settings.retrieval.k
        ranked = self.retriever().rank(query, k, self._scope(docs))
        return to_sources(self.db, ranked, query)

    # ------------------------------------------------------------------ reading documents (for the app's reader)
    def page_count(self, path: str | os.PathLike) -> int:
        from .ingest.pdf import page_count

        return page_count(path)

    def page_size(self, path: str | os.PathLike, page: int) -> tuple[float, float]:
        """Width and height of a 1-based PDF page in points."""
        from .ingest.pdf import page_size

        return page_size(path, page)

    def render_page(self, path: str | os.PathLike, page: int, zoom: float) -> tuple[bytes, int, int]:
        """A 1-based PDF page rendered at `zoom` (1.0 = 72 dpi): (PNG bytes, width px, height px)."""
        from .ingest.pdf import render_page

        return render_page(path, page, zoom)

    def find_text(self, path: str | os.PathLike, query: str, max_hits: int = 500) -> list[tuple[int, tuple]]:
        """Occurrences of `query` in a PDF: (1-based page, rect in points)."""
        from .ingest.pdf import find_text

        return find_text(path, query, max_hits)

    def quote_rects(self, path: str | os.PathLike, page: int, quote: str) -> list[tuple]:
        """Rectangles (points) covering exactly `quote` on a 1-based page; [] if it is not there."""
        from .ingest.pdf import quote_rects

        return quote_rects(path, page, quote)

    def read_text(self, path: str | os.PathLike) -> str:
        """The text of a code or text file as the library read it (same decoding, so line numbers agree)."""
        from .ingest.lines import read_source

        return read_source(Path(path)).text

    # ------------------------------------------------------------------ answers
    @property
    def llm(self):
        """The language model the settings name, loaded on first use (one per engine)."""
        with self._lock:
            if self._llm is None:
                self._llm = self.load_model()
            return self._llm

    def load_model(self, settings: Settings | None = None):
        """Load (or reload) the language model the settings name: in process (llm.backend llama) or a remote
        OpenAI-compatible server (openai; loading checks that it answers).

        Raises:
            ModelLoadError / ContextTooLargeError / SettingsError: the local model cannot be loaded as configured.
            BackendError: the remote server is down, too slow or refuses (the message names the URL).
        """
        st = (settings or self.settings).llm
        if st.backend == "openai":
            from .llm.openai_remote import OpenAIBackend

            backend = OpenAIBackend.connect(st)
        else:
            from .llm.llama import LlamaBackend

            backend = LlamaBackend.load(st, cache_dir=self.library_dir / "cache" / "prefix")
        with self._lock:
            if self._llm is not None and self._llm is not backend:
                self._llm.close()
            self._llm = backend
        return backend

    def ask_stream(self, question: str, *, docs: Sequence[str | os.PathLike] | None = None,
                   history: Sequence[tuple[str, str]] = (), cancel: CancelToken = None) -> Iterator[StreamEvent]:
        """Answer `question` from the library, streaming events.

        Yields a `SourcesEvent` (what the model reads) first, then `TokenEvent`s as text is generated, a
        `CitationEvent` per verified citation and finally a `DoneEvent` carrying the `Answer`. The final answer
        may differ from the streamed text: unsupported sentences are removed by verification.

        Args:
            question: the question.
            docs: restrict to these documents or folders; None asks the whole library.
            history: earlier (question, answer) pairs of this conversation, oldest first.
            cancel: a cancel token; raises Cancelled between tokens.
        Raises:
            EngineError subclasses: model, settings or store problems, with a reader-facing message.
        """
        from .answer.ask import AskContext, ask_stream
        from .retrieval.planner import ContextPlanner

        if not question or not question.strip():
            raise EngineError("The question is empty.")
        retriever = self.retriever()
        embed = self.embedder.embed if retriever.embedder is not None else None
        llm = self.llm
        ctx = AskContext(self.db, ContextPlanner(self.db, retriever), embed, llm, self._answer_settings(llm),
                         embedder_name=self.embedder.name if embed is not None else "",
                         answerable=_answerable_scores)
        yield from ask_stream(ctx, question.strip(), self._scope(docs), history=history,
                              cancelled=as_predicate(cancel))

    def ask(self, question: str, *, docs: Sequence[str | os.PathLike] | None = None,
            history: Sequence[tuple[str, str]] = (), cancel: CancelToken = None) -> Answer:
        """Answer `question` and return the finished, verified `Answer` (see `ask_stream`)."""
        answer = None
        for ev in self.ask_stream(question, docs=docs, history=history, cancel=cancel):
            if isinstance(ev, DoneEvent):
                answer = ev.answer
        if answer is None:  # pragma: no cover - ask_stream always ends with DoneEvent
            raise EngineError("The answer did not complete.")
        return answer

    # ------------------------------------------------------------------ effective-context probe
    def probe(self, grid=None, *, settings: Settings | None = None, out_dir: str | os.PathLike | None = None,
              resume: bool = True, heatmap: bool = True, progress: ProgressCallback = None,
              cancel: CancelToken = None):
        """Measure how much context the model really uses (needle-in-a-haystack and RULER-style tasks).

        The result is saved as `probe/<key>.json` (+ `.png`) under the library, where the key names the model file
        and its context settings; answering then caps the default budget by its effective context.

        Args:
            grid: an `engine.probe.ProbeGrid`; None runs the quick grid (1k ... n_ctx, two depths, one task).
            settings: settings to probe instead of the library's (a model is loaded for the probe and freed after).
            out_dir: folder for the results instead of the library's `probe/`.
            resume: keep trials of an interrupted run with the same model and settings.
            heatmap: also draw the heatmap PNG (matplotlib).
            progress: called with Progress(stage="probe", done, total, unit="trials", message).
            cancel: a cancel token; finished trials are kept and the next run resumes from them.
        Returns:
            An `engine.probe.ProbeResult` (table(), effective_context, suggested_budget, json_path, png_path).
        Raises:
            Cancelled, ModelLoadError, ContextTooLargeError, SettingsError.
        """
        from .probe import ProbeGrid, run_probe

        st = settings or self.settings
        own = settings is not None and settings.llm != self.settings.llm
        if own and st.llm.backend == "openai":
            from .llm.openai_remote import OpenAIBackend

            backend = OpenAIBackend.connect(st.llm)
        elif own:
            from .llm.llama import LlamaBackend

            # Two copies of a large model may not fit in memory: free the engine's (the next question reloads it).
            self._release_llm()
            backend = LlamaBackend.load(st.llm)
        else:
            backend = self.llm
        try:
            grid = grid or ProbeGrid.quick(int(backend.effective_settings().get("n_ctx") or st.llm.n_ctx))
            return run_probe(backend, grid, Path(out_dir) if out_dir else self.library_dir / "probe",
                             resume=resume, max_answer_tokens=st.llm.max_answer_tokens, progress=progress,
                             cancel=as_predicate(cancel), heatmap=heatmap)
        finally:
            if own:
                backend.close()

    def probe_result(self, settings: Settings | None = None):
        """The saved probe result for the model + context settings (the library's by default), or None."""
        from .probe import load_result

        if settings is None and callable(getattr(self._llm, "effective_settings", None)):
            effective = self._llm.effective_settings()
        else:
            from .llm.llama import model_path_from

            try:
                plan = self.plan_context(settings)
            except EngineError:
                return None
            if not callable(getattr(plan, "effective_settings", None)):
                return None
            effective = {**plan.effective_settings(),
                         "model_path": str(model_path_from((settings or self.settings).llm))}
        return load_result(self.library_dir / "probe", effective)

    def _answer_settings(self, llm):
        """The llm settings an answer uses: the budget capped by the measured effective context, when there is one.

        An effective context typed into the settings wins; otherwise a complete probe result for exactly this
        model and these context settings is used (a changed setting has no result until it is probed).
        """
        st = self.settings.llm
        if st.effective_context or not callable(getattr(llm, "effective_settings", None)):
            return st
        from .probe import load_result

        found = load_result(self.library_dir / "probe", llm.effective_settings())
        eff = found.effective_context if found is not None and found.complete else 0
        if not eff:
            return st  # nothing measured, or the model failed even the shortest length: nothing to cap by
        # Never below MIN_CAPPED_BUDGET tokens of document context: a small model that fails the multi-key task at
        # 2k (docs/probe.md) still needs a few passages in front of it for evidence and citations to work.
        floor = MIN_CAPPED_BUDGET + st.max_answer_tokens + 400
        return dataclasses.replace(st, effective_context=max(eff, floor))

    # ------------------------------------------------------------------ models, for the settings panel
    def model_info(self, path: str | os.PathLike | None = None):
        """Facts read from a GGUF file's metadata (the configured model when `path` is None).

        A remote model's facts (name, n_ctx) are the loaded backend's `eng.llm.info`: the panel asks about the
        settings being edited, which may name the local model while the saved ones name a server.
        """
        from .llm.gguf import read_gguf_info
        from .llm.llama import model_path_from

        p = Path(path).expanduser() if path else model_path_from(self.settings.llm)
        return read_gguf_info(p)

    @staticmethod
    def discover_models():
        """GGUF models found on this machine (the packaged default first)."""
        from .llm.discovery import discover_models

        return discover_models()

    def estimate_memory(self, settings: Settings | None = None):
        """Weights + KV cache estimate for these settings, compared with free memory."""
        from .llm.memory import estimate_memory

        st = (settings or self.settings).llm
        info = self.model_info(st.model_path or None)
        return estimate_memory(info, st.n_ctx, st.type_k, st.type_v, st.n_gpu_layers)

    def plan_context(self, settings: Settings | None = None):
        """How llama.cpp will be configured for these settings (RoPE mode and factor, flash attention...)."""
        from .llm.rope import resolve_context

        st = (settings or self.settings).llm
        info = self.model_info(st.model_path or None)
        return resolve_context(info, st, gpu_offload_supported=self.gpu_offload_supported())

    @staticmethod
    def gpu_offload_supported() -> bool:
        from .llm.llama import gpu_offload_supported

        return gpu_offload_supported()

    def page_sizes(self, path: str | os.PathLike) -> list[tuple[float, float]]:
        """Width and height in points of every page of a PDF, in one pass."""
        from .ingest.pdf import page_sizes

        return page_sizes(path)

    # ------------------------------------------------------------------ model release
    def _release_llm(self) -> None:
        for thing in (self._answerer, self._llm):
            closer = getattr(thing, "close", None)
            if callable(closer):
                closer()
        self._answerer = self._llm = None


def _answerable_scores(question: str, passages: list[str]):
    """The trained reader abstention consults (answer/answerable.py), loaded on first use, once per process."""
    from .answer.answerable import shared_model
    from .paths import packaged_embedder_dir

    return shared_model(packaged_embedder_dir()).scores(question, passages)
