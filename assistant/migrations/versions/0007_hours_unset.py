"""participants.hours_per_month may be unset

A person who has not said how much time they have is not silently planned for two hours:
drafting assumes a figure and says so, chat asks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.alter_column("hours_per_month", existing_type=sa.Double(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE participants SET hours_per_month = 2 WHERE hours_per_month IS NULL")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.alter_column("hours_per_month", existing_type=sa.Double(), nullable=False)
