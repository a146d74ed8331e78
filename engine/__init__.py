"""Lectern's engine: a local library of documents and code, hierarchical hybrid retrieval, and cited answers.

The facade is `Engine`; everything a caller needs is importable from here. Importing this package is cheap:
heavy libraries (torch, faiss, llama.cpp, PyMuPDF) load when first used.
"""
from .api import Engine
from .conversations import ConversationStore, Turn
from .errors import (BackendError, Cancelled, ContextTooLargeError, DocumentNotFoundError, EmptyDocumentError,
                     EncryptedPdfError, EngineError, FileAccessError, IngestError, ModelError, ModelLoadError,
                     SettingsError, StoreError, UnreadableDocumentError, UnsupportedFileError)
from .paths import bundle_dir, packaged_gguf_path
from .probe import ProbeGrid, ProbeResult
from .settings import Settings
from .types import (Answer, Citation, CitationEvent, DocumentInfo, DoneEvent, FileReport, IngestReport, Progress,
                    SectionInfo, Source, SourcesEvent, StreamEvent, TokenEvent)

__all__ = [
    "Engine", "Settings", "ConversationStore", "Turn", "ProbeGrid", "ProbeResult", "bundle_dir", "packaged_gguf_path",
    "Answer", "Citation", "CitationEvent", "DocumentInfo", "DoneEvent", "FileReport", "IngestReport", "Progress",
    "SectionInfo", "Source", "SourcesEvent", "StreamEvent", "TokenEvent",
    "BackendError", "Cancelled", "ContextTooLargeError", "DocumentNotFoundError", "EmptyDocumentError",
    "EncryptedPdfError", "EngineError", "FileAccessError", "IngestError", "ModelError", "ModelLoadError",
    "SettingsError", "StoreError", "UnreadableDocumentError", "UnsupportedFileError",
]
