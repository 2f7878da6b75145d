"""A cake picture on an order line: order_items.image_id and image_path.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("order_items") as batch:
        batch.add_column(sa.Column("image_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("image_path", sa.String(length=120), nullable=True))
        batch.create_foreign_key(
            op.f("fk_order_items_image_id_media_images"), "media_images", ["image_id"], ["id"]
        )
        batch.create_index(op.f("ix_order_items_image_id"), ["image_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("order_items") as batch:
        batch.drop_index(op.f("ix_order_items_image_id"))
        batch.drop_constraint(op.f("fk_order_items_image_id_media_images"), type_="foreignkey")
        batch.drop_column("image_path")
        batch.drop_column("image_id")
