"""Test fixtures: a fresh database per test on SQLite or PostgreSQL, a fixed clock, an app.

Set TANDEM_DATABASE_URL to run the whole suite against PostgreSQL: each test worker
gets its own database, created and migrated once, emptied after every test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assistant.api import create_app
from assistant.config import Settings
from assistant.db import Base, build_engine, upgrade_database
from assistant.retrieval.embeddings import WordOverlapEmbedder
from assistant.retrieval.service import KnowledgeBase
from assistant.retrieval.store import ChromaVectorStore

from .support import STAFF_KEY, Api

os.environ.setdefault("TANDEM_ENVIRONMENT", "test")
# Nothing in the suite may reach past this machine; Chroma's telemetry included.
os.environ["ANONYMIZED_TELEMETRY"] = "False"

POSTGRES_URL = os.environ.get("TANDEM_DATABASE_URL", "").strip()
CORPUS = Path(__file__).resolve().parent.parent / "knowledge"


class FixedClock:
    """The service's clock, set by the test: health and overdue logic are about dates."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def today(self) -> date:
        return self.current.date()

    def advance(self, days: int) -> None:
        self.current += timedelta(days=days)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    if not POSTGRES_URL:
        yield None
        return
    base = make_url(POSTGRES_URL)
    if base.get_backend_name() != "postgresql":
        raise pytest.UsageError("TANDEM_DATABASE_URL must be a postgresql:// URL for the suite")
    name = f"tandem_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )
    engine = build_engine(url)
    upgrade_database(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; each test starts from a copy of it."""
    path = tmp_path_factory.mktemp("template") / "tandem.db"
    engine = build_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def database_url(
    postgres_database: str | None, migrated_sqlite_template: Path, tmp_path: Path
) -> Iterator[str]:
    if postgres_database is None:
        target = tmp_path / "tandem.db"
        shutil.copyfile(migrated_sqlite_template, target)
        yield f"sqlite:///{target}"
        return
    yield postgres_database
    engine = build_engine(postgres_database)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def indexed_guidance_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in guidance indexed once (word-overlap embedder); each test's app starts
    from a copy, so drafting finds the skill playbooks without indexing per test."""
    path = tmp_path_factory.mktemp("guidance") / "chroma"
    store = ChromaVectorStore(path=path)
    KnowledgeBase(store.client, WordOverlapEmbedder()).ingest_paths([CORPUS])
    store.close()
    return path


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, tmp_path: Path, indexed_guidance_template: Path) -> Settings:
    shutil.copytree(indexed_guidance_template, tmp_path / "data" / "chroma")
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        bootstrap_staff_key=STAFF_KEY,  # type: ignore[arg-type]
        ingest_on_start=False,
        log_json=True,
    )


@pytest.fixture
def client(settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, embedder=WordOverlapEmbedder())
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


# Browser fixtures (uvicorn in a thread, Debian's Chromium through Playwright).
from .browser import browser, live_server, phone  # noqa: E402, F401
