"""The certificates register as OneVisit made it before migrations.

A register made by an older OneVisit already has the table and keeps every row.

Revision ID: r0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None
branch_labels = ("register",)
depends_on = None


def _has(table: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if not _has("certificates"):
        op.create_table(
            "certificates",
            sa.Column("serial", sa.Text(), nullable=False),
            sa.Column("day", sa.Text(), nullable=True),
            sa.Column("seq", sa.Integer(), nullable=True),
            sa.Column("issued_at", sa.Text(), nullable=True),
            sa.Column("id_masked", sa.Text(), nullable=True),
            sa.Column("name_masked", sa.Text(), nullable=True),
            sa.Column("since", sa.Text(), nullable=True),
            sa.Column("until", sa.Text(), nullable=True),
            sa.Column("digest", sa.Text(), nullable=True),
            sa.Column("code", sa.Text(), nullable=True),
            sa.Column("key", sa.Text(), nullable=True),
            sa.Column("pages", sa.Integer(), nullable=True),
            sa.Column("status", sa.Text(), nullable=True),
            sa.Column("print_job", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("serial"),
        )


def downgrade() -> None:
    raise NotImplementedError("the first schema has no older one to go back to")
