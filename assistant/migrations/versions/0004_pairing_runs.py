"""pairing runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pairing_rejections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.String(length=32), nullable=True),
        sa.Column("first_id", sa.String(length=32), nullable=False),
        sa.Column("second_id", sa.String(length=32), nullable=False),
        sa.Column("suggestion_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_pairing_rejections_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_rejections")),
    )
    with op.batch_alter_table("pairing_rejections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pairing_rejections_first_id"), ["first_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pairing_rejections_program_id"), ["program_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pairing_rejections_second_id"), ["second_id"], unique=False
        )

    op.create_table(
        "pairing_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.String(length=32), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("group_size", sa.Integer(), nullable=True),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("participant_ids", sa.JSON(), nullable=False),
        sa.Column("unmatched", sa.JSON(), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_pairing_runs_program_id_programs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_runs")),
    )
    with op.batch_alter_table("pairing_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pairing_runs_program_id"), ["program_id"], unique=False
        )

    op.create_table(
        "pairing_suggestions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("match_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_pairing_suggestions_match_id_matches"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["pairing_runs.id"],
            name=op.f("fk_pairing_suggestions_run_id_pairing_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_suggestions")),
    )
    with op.batch_alter_table("pairing_suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pairing_suggestions_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pairing_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairing_suggestions_run_id"))

    op.drop_table("pairing_suggestions")
    with op.batch_alter_table("pairing_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairing_runs_program_id"))

    op.drop_table("pairing_runs")
    with op.batch_alter_table("pairing_rejections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairing_rejections_second_id"))
        batch_op.drop_index(batch_op.f("ix_pairing_rejections_program_id"))
        batch_op.drop_index(batch_op.f("ix_pairing_rejections_first_id"))

    op.drop_table("pairing_rejections")
