"""Initial schema: users, the catalog, orders and promotions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingredients",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("unit_price", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ingredients")),
    )
    op.create_table(
        "menus",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_menus")),
    )
    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
    )
    op.create_index(op.f("ix_promotions_ends_at"), "promotions", ["ends_at"])
    op.create_index(op.f("ix_promotions_starts_at"), "promotions", ["starts_at"])
    op.create_table(
        "styles",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("price_delta", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_styles")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(op.f("ix_users_role"), "users", ["role"])
    op.create_table(
        "menu_ingredients",
        sa.Column("menu_code", sa.String(length=40), nullable=False),
        sa.Column("ingredient_code", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingredient_code"],
            ["ingredients.code"],
            name=op.f("fk_menu_ingredients_ingredient_code_ingredients"),
        ),
        sa.ForeignKeyConstraint(
            ["menu_code"],
            ["menus.code"],
            name=op.f("fk_menu_ingredients_menu_code_menus"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("menu_code", "ingredient_code", name=op.f("pk_menu_ingredients")),
    )
    op.create_table(
        "menu_styles",
        sa.Column("menu_code", sa.String(length=40), nullable=False),
        sa.Column("style_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["menu_code"],
            ["menus.code"],
            name=op.f("fk_menu_styles_menu_code_menus"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["style_code"],
            ["styles.code"],
            name=op.f("fk_menu_styles_style_code_styles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("menu_code", "style_code", name=op.f("pk_menu_styles")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("assigned_cook_id", sa.String(length=64), nullable=True),
        sa.Column("assigned_delivery_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_cook_id"], ["users.id"], name=op.f("fk_orders_assigned_cook_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_delivery_id"],
            ["users.id"],
            name=op.f("fk_orders_assigned_delivery_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_orders_customer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "customer_id", "idempotency_key", name=op.f("uq_orders_customer_id_idempotency_key")
        ),
        sa.UniqueConstraint("session_id", name=op.f("uq_orders_session_id")),
    )
    op.create_index(op.f("ix_orders_created_at"), "orders", ["created_at"])
    op.create_index(op.f("ix_orders_customer_id"), "orders", ["customer_id"])
    op.create_index(op.f("ix_orders_status"), "orders", ["status"])
    op.create_table(
        "promotion_menus",
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("menu_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["menu_code"],
            ["menus.code"],
            name=op.f("fk_promotion_menus_menu_code_menus"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions.id"],
            name=op.f("fk_promotion_menus_promotion_id_promotions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("promotion_id", "menu_code", name=op.f("pk_promotion_menus")),
    )
    op.create_table(
        "order_items",
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("menu_code", sa.String(length=40), nullable=False),
        sa.Column("style_code", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("customizations", sa.JSON(), nullable=False),
        sa.Column("unit_price", sa.Integer(), nullable=False),
        sa.Column("line_total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["menu_code"], ["menus.code"], name=op.f("fk_order_items_menu_code_menus")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_items_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["style_code"], ["styles.code"], name=op.f("fk_order_items_style_code_styles")
        ),
        sa.PrimaryKeyConstraint("order_id", "position", name=op.f("pk_order_items")),
    )


def downgrade() -> None:
    op.drop_table("order_items")
    op.drop_table("promotion_menus")
    op.drop_index(op.f("ix_orders_status"), table_name="orders")
    op.drop_index(op.f("ix_orders_customer_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_created_at"), table_name="orders")
    op.drop_table("orders")
    op.drop_table("menu_styles")
    op.drop_table("menu_ingredients")
    op.drop_index(op.f("ix_users_role"), table_name="users")
    op.drop_table("users")
    op.drop_table("styles")
    op.drop_index(op.f("ix_promotions_starts_at"), table_name="promotions")
    op.drop_index(op.f("ix_promotions_ends_at"), table_name="promotions")
    op.drop_table("promotions")
    op.drop_table("menus")
    op.drop_table("ingredients")
