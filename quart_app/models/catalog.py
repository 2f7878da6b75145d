"""Menus, styles and ingredients: the rows behind ``domain.catalog.Catalog``."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quart_app.models.base import CODE_LENGTH, Base

menu_styles = Table(
    "menu_styles",
    Base.metadata,
    Column("menu_code", ForeignKey("menus.code", ondelete="CASCADE"), primary_key=True),
    Column("style_code", ForeignKey("styles.code", ondelete="CASCADE"), primary_key=True),
)
"""Which styles each menu allows."""


class Ingredient(Base):
    """Something a dinner contains; extra units cost ``unit_price`` each."""

    __tablename__ = "ingredients"

    code: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    unit_price: Mapped[int] = mapped_column(Integer)


class MenuIngredient(Base):
    """A default ingredient of a menu: ``quantity`` units per dinner."""

    __tablename__ = "menu_ingredients"

    menu_code: Mapped[str] = mapped_column(
        ForeignKey("menus.code", ondelete="CASCADE"), primary_key=True
    )
    ingredient_code: Mapped[str] = mapped_column(ForeignKey("ingredients.code"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    ingredient: Mapped[Ingredient] = relationship(lazy="joined")


class Style(Base):
    """A serving style; ``price_delta`` is added to a menu's price per dinner."""

    __tablename__ = "styles"

    code: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    price_delta: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Menu(Base):
    """A dinner on offer; ``position`` fixes the catalog's order."""

    __tablename__ = "menus"

    code: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    ingredients: Mapped[list[MenuIngredient]] = relationship(
        order_by=MenuIngredient.position, cascade="all, delete-orphan"
    )
    styles: Mapped[list[Style]] = relationship(secondary=menu_styles, order_by=Style.position)
