"""The configured OpenAI-compatible chat model, built once for every caller."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from assistant.config import Settings


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured OpenAI-compatible chat model, or None when none is configured."""
    if not (settings.llm_base_url and settings.llm_model):
        return None
    from langchain_openai import ChatOpenAI  # only deployments with a model pay the import

    # A model server on this machine may want no key, but the client insists on one.
    key = settings.llm_api_key or SecretStr("not-needed")
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=key,
        model=settings.llm_model,
        timeout=settings.llm_timeout_seconds,
        # One attempt per call: the repair round and the offline fallback are the
        # recovery, and a retry after a timeout would double the wait for a plan.
        max_retries=0,
        temperature=0,
    )
