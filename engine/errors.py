"""One error tree for everything the engine can refuse to do.

Third-party exceptions are translated where the library is called (`raise XError(...) from exc`), so callers
catch `EngineError` and show its message; the message is written for a reader, naming the file and the setting.
"""
from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class Cancelled(EngineError):
    """The caller's cancel token was set; the work stopped cleanly."""


# --------------------------------------------------------------------------- ingestion
class IngestError(EngineError):
    """A file could not be ingested."""

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.path = path


class UnreadableDocumentError(IngestError):
    """The file exists but its content cannot be read (corrupt, truncated, wrong format)."""


class EncryptedPdfError(IngestError):
    """The PDF is password-protected."""


class EmptyDocumentError(IngestError):
    """The file holds no text to index (0 bytes, or nothing extractable)."""


class UnsupportedFileError(IngestError):
    """The file type is not one Lectern indexes."""


class FileAccessError(IngestError):
    """The file or folder cannot be opened (permissions, vanished, a symlink loop)."""


# --------------------------------------------------------------------------- models
class ModelError(EngineError):
    """A model (embedder or LLM) cannot be used as configured."""


class ModelLoadError(ModelError):
    """The model file is missing, not a model of the expected format, or failed to load."""


class ContextTooLargeError(ModelError):
    """The requested context does not fit the model's limits or the machine's memory."""


class SettingsError(EngineError):
    """A setting has an impossible value; the message names the setting."""

    def __init__(self, message: str, setting: str | None = None):
        super().__init__(message)
        self.setting = setting


class BackendError(ModelError):
    """A remote inference backend failed (down, slow, or answered nonsense)."""


# --------------------------------------------------------------------------- store
class StoreError(EngineError):
    """The library's database or index cannot be opened or written."""


class DocumentNotFoundError(EngineError):
    """The document named is not in the library."""
