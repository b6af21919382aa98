"""Configuration: secrets that would leave a deployment open are refused outside tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.config import Settings


@pytest.mark.parametrize("secret", ["", "   ", "changeme", "CHANGEME", "secret", "short-key"])
def test_placeholder_or_empty_staff_key_is_refused_in_production(secret: str) -> None:
    with pytest.raises(ValidationError, match="TANDEM_BOOTSTRAP_STAFF_KEY"):
        Settings(environment="production", bootstrap_staff_key=secret)  # type: ignore[arg-type]


def test_placeholder_is_refused_when_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANDEM_ENVIRONMENT", "production")
    monkeypatch.setenv("TANDEM_BOOTSTRAP_STAFF_KEY", "changeme")
    with pytest.raises(ValidationError, match="placeholder"):
        Settings()


def test_a_random_key_is_accepted_and_tests_may_use_a_simple_one() -> None:
    key = "Yq3v8Zr1kS0pX7wT2mN4bC6dF9gH5jL"
    assert Settings(environment="production", bootstrap_staff_key=key).bootstrap_staff_key  # type: ignore[arg-type]
    assert Settings(environment="test", bootstrap_staff_key="test").bootstrap_staff_key  # type: ignore[arg-type]


def test_defaults_are_the_embedded_stores_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("TANDEM_DATABASE_URL", "")  # blank means unset, not a database named ""
    settings = Settings()
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'd' / 'tandem.db').resolve()}"
    assert settings.chroma_path == tmp_path / "d" / "chroma"
    assert settings.chroma_url is None
