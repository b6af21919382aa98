"""Alembic environment: runs against the engine the app (or `tandem db upgrade`) built."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import assistant.audit.models
import assistant.chat.models
import assistant.matching.models
import assistant.pairing.models
import assistant.people.models
import assistant.plans.models
import assistant.programs.models
import assistant.retrieval.models
import assistant.sessions.models
import assistant.signin.models  # noqa: F401  (importing registers the tables)
from assistant.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("run migrations through assistant.db.upgrade_database(engine)")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
