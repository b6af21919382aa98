"""talking points

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "talking_points",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("match_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["participants.id"],
            name=op.f("fk_talking_points_author_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_talking_points_match_id_matches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_talking_points_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talking_points")),
    )
    with op.batch_alter_table("talking_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talking_points_match_id"), ["match_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_talking_points_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("talking_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talking_points_session_id"))
        batch_op.drop_index(batch_op.f("ix_talking_points_match_id"))

    op.drop_table("talking_points")
