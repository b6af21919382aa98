"""pairing rationale, cross-functional group runs, run remarks, embedding cache

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "embedding_cache",
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("dimension", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("embedder", "text_sha256", name=op.f("pk_embedding_cache")),
    )
    with op.batch_alter_table("pairing_suggestions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rationale", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("rationale_by", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("pairing_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cross_functional", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("remarks", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("pairing_runs", schema=None) as batch_op:
        batch_op.drop_column("remarks")
        batch_op.drop_column("cross_functional")
    with op.batch_alter_table("pairing_suggestions", schema=None) as batch_op:
        batch_op.drop_column("rationale_by")
        batch_op.drop_column("rationale")
    op.drop_table("embedding_cache")
