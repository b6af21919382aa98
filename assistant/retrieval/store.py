"""The vector store handle: embedded Chroma in the data dir, or a Chroma server by URL.

Opened lazily: start-up and requests that never touch vectors do not pay Chroma's
start-up cost, and a Chroma server that is down degrades /health instead of the boot.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse


class VectorStore(Protocol):
    def heartbeat(self) -> bool: ...

    def client(self) -> Any:
        """The chromadb client (embedded or HTTP); opened on first use."""
        ...

    def close(self) -> None: ...

    @property
    def description(self) -> str: ...


class ChromaVectorStore:
    def __init__(self, *, path: Path | None = None, url: str | None = None) -> None:
        if (path is None) == (url is None):
            raise ValueError("give exactly one of path (embedded) or url (server)")
        self._path = path
        self._url = url
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        # Shown on the unauthenticated /health: no paths, no credentials in URLs.
        if self._url:
            parsed = urlparse(self._url)
            return f"chroma server at {parsed.hostname}:{parsed.port or 8000}"
        return "embedded chroma"

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import chromadb
                from chromadb.config import Settings as ChromaSettings

                chroma_settings = ChromaSettings(anonymized_telemetry=False)
                if self._url:
                    parsed = urlparse(self._url)
                    self._client = chromadb.HttpClient(
                        host=parsed.hostname or "127.0.0.1",
                        port=parsed.port or 8000,
                        ssl=parsed.scheme == "https",
                        settings=chroma_settings,
                    )
                else:
                    assert self._path is not None
                    self._path.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(
                        path=str(self._path), settings=chroma_settings
                    )
            return self._client

    def close(self) -> None:
        """Release the client (an embedded store frees its files and threads)."""
        with self._lock:
            if self._client is not None:
                close = getattr(self._client, "close", None)
                if callable(close):
                    close()
                self._client = None

    def heartbeat(self) -> bool:
        try:
            self.client().heartbeat()
            return True
        except Exception:
            return False
