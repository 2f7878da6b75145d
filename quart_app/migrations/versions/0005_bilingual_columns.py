"""Every bilingual column says its language: the Korean ``name``, ``description`` and
``title`` become ``name_ko``, ``description_ko`` and ``title_ko``, and a promotion gets
an English description.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED = {
    "ingredients": ("name",),
    "styles": ("name", "description"),
    "menus": ("name", "description"),
    "promotions": ("title", "description"),
}
"""The Korean columns of each table, named without a language until this revision."""


def upgrade() -> None:
    # Plain ALTER TABLE statements: SQLite renames and adds columns in place, where a batch
    # would copy each table and trip over the foreign keys that point at it.
    for table, columns in RENAMED.items():
        for column in columns:
            op.alter_column(table, column, new_column_name=f"{column}_ko")
    op.add_column(
        "promotions", sa.Column("description_en", sa.Text(), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("promotions", "description_en")
    for table, columns in RENAMED.items():
        for column in columns:
            op.alter_column(table, f"{column}_ko", new_column_name=column)
