"""Settings for the whole service: one pydantic-settings class read from `TANDEM_*`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people paste from examples. A deployment running with one of these is one
# leaked README away from being open to anyone, so they are refused outside tests.
PLACEHOLDER_SECRETS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "password",
        "placeholder",
        "example",
        "test",
        "todo",
        "xxx",
        "none",
        "null",
        "staff",
        "admin",
        "your-key-here",
        "<key>",
    }
)
MIN_SECRET_LENGTH = 16


def _is_loopback(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def secret_problem(value: str) -> str | None:
    """Why a configured secret is unusable, or None when it is fine."""
    stripped = value.strip()
    if not stripped:
        return "is empty"
    if stripped.lower() in PLACEHOLDER_SECRETS:
        return "is a placeholder value"
    if len(stripped) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_", env_file=None, extra="ignore")

    environment: Literal["production", "development", "test"] = "production"
    data_dir: Path = Path(".tandem")
    database_url: str | None = None
    chroma_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    bootstrap_staff_key: SecretStr | None = None
    # Where people reach Tandem, for links it hands out (sign-in links); unset: the
    # address each request came to.
    public_url: str | None = None
    # Signs browser cookies and CSRF tokens. Unset: a random one kept in
    # data_dir/secret_key (replicas must share one: set it).
    secret_key: SecretStr | None = None
    web_session_hours: float = Field(default=12, gt=0, le=24 * 30)
    log_level: str = "INFO"
    log_json: bool = True

    # Limits: what one request may carry. Bodies past max_body_bytes get a 413 before
    # they are parsed, so a client cannot make the service buffer arbitrary input.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_page_size: int = Field(default=200, ge=1)

    # An OpenAI-compatible chat model (unset: the offline drafter and assistant).
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # The most tokens a model may generate per call, by task. Without a cap a small
    # model can generate until its context is full, holding the server for minutes
    # after Tandem gave up; each cap leaves room for the longest answer the task's
    # schema allows (a plan's objectives and milestones; a few sentences of rationale).
    llm_max_tokens_plan: int = Field(default=1800, ge=64, le=32_768)
    llm_max_tokens_agenda: int = Field(default=1500, ge=64, le=32_768)
    llm_max_tokens_chat: int = Field(default=800, ge=64, le=32_768)
    llm_max_tokens_rationale: int = Field(default=250, ge=64, le=32_768)
    # With a model configured, the best this many suggestions of a pairing run get a
    # model-written rationale at once (one call each); the rest get the composed one
    # and staff can ask for more, one suggestion at a time.
    pairing_rationale_limit: int = Field(default=20, ge=0, le=1000)

    # Retrieval. The built-in guidance lives beside the package in a source checkout.
    knowledge_dir: Path = Path(__file__).resolve().parent.parent / "knowledge"
    ingest_on_start: bool = True
    # Embeddings: the offline MiniLM model unless an OpenAI-compatible model is named.
    embeddings_model: str | None = None
    embeddings_base_url: str | None = None
    embeddings_api_key: SecretStr | None = None
    embeddings_dimension: int = Field(default=1536, ge=8, le=8192)

    # Chat. A message longer than chat_max_message_chars, or a request with more than
    # chat_max_messages messages, is refused with a 400 in OpenAI's error shape. The
    # assistant reads only the newest chat_history_messages messages and, of those, as
    # many of the newest as fit in chat_history_chars; older turns are dropped.
    chat_max_message_chars: int = Field(default=8000, ge=100, le=200_000)
    chat_max_messages: int = Field(default=200, ge=1, le=10_000)
    chat_history_messages: int = Field(default=24, ge=2, le=1000)
    chat_history_chars: int = Field(default=24_000, ge=1000, le=1_000_000)

    # Plan health thresholds (days); programs can tune how early to warn.
    health_due_soon_days: int = Field(default=14, ge=1)
    health_severely_overdue_days: int = Field(default=14, ge=1)

    @field_validator(
        "database_url",
        "chroma_url",
        "embeddings_model",
        "embeddings_base_url",
        "llm_base_url",
        "llm_model",
        "public_url",
        mode="before",
    )
    @classmethod
    def _blank_means_default(cls, value: object) -> object:
        # `TANDEM_DATABASE_URL=` in a shell means "unset", not "a database named ''".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "test":
            return self
        if self.bootstrap_staff_key is not None:
            problem = secret_problem(self.bootstrap_staff_key.get_secret_value())
            if problem:
                raise ValueError(
                    f"TANDEM_BOOTSTRAP_STAFF_KEY {problem}; set a random key "
                    "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) "
                    "or unset it and run `tandem init`"
                )
        # A model server on this machine may need no key; a remote one must have a real one.
        for name, key, url in (
            ("TANDEM_LLM_API_KEY", self.llm_api_key, self.llm_base_url),
            ("TANDEM_EMBEDDINGS_API_KEY", self.embeddings_api_key, self.embeddings_base_url),
        ):
            if key is not None and url and not _is_loopback(url):
                problem = secret_problem(key.get_secret_value())
                if problem:
                    raise ValueError(f"{name} {problem}; set the provider's real key")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tandem.db').resolve()}"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
