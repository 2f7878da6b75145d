"""Strict reading of JSON-shaped data: wrong types become :class:`MalformedData`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import MalformedData


class Reader:
    """Reads typed members of one JSON object, naming the path of any bad member."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping) or not all(isinstance(key, str) for key in data):
            raise MalformedData(f"{path or 'data'} must be an object", field=path)
        self._data: Mapping[str, Any] = data
        self._path = path

    def _where(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def has(self, key: str) -> bool:
        """Whether the object has member ``key`` (for members added in later versions)."""
        return key in self._data

    def _get(self, key: str) -> Any:
        if key not in self._data:
            raise MalformedData(f"{self._where(key)} is missing", field=self._where(key))
        return self._data[key]

    def _fail(self, key: str, expected: str) -> MalformedData:
        return MalformedData(f"{self._where(key)} must be {expected}", field=self._where(key))

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._get(key)
        if value is not None and not isinstance(value, str):
            raise self._fail(key, "a string or null")
        return value

    def integer(self, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self._get(key)
        # bool is an int subclass; JSON true is not a number.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(key, "an integer")
        if minimum is not None and value < minimum:
            raise self._fail(key, f"at least {minimum}")
        if maximum is not None and value > maximum:
            raise self._fail(key, f"at most {maximum}")
        return value

    def number(self, key: str) -> float:
        value = self._get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self._fail(key, "a number")
        return float(value)

    def array(self, key: str) -> list[Any]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._fail(key, "a list")
        return value

    def child(self, key: str) -> Reader:
        return Reader(self._get(key), self._where(key))

    def raw_object(self, key: str) -> dict[str, Any]:
        """The member as a plain dict (checked to be an object with string keys)."""
        self.child(key)
        return dict(self._data[key])

    def int_map(self, key: str, *, minimum: int, maximum: int) -> dict[str, int]:
        """An object whose every value is an integer in ``minimum..maximum``."""
        inner = self.child(key)
        return {name: inner.integer(name, minimum=minimum, maximum=maximum) for name in inner._data}

    def items_of(self, key: str) -> list[Reader]:
        """Each element of a list member, as a reader of an object."""
        where = self._where(key)
        return [Reader(item, f"{where}[{index}]") for index, item in enumerate(self.array(key))]
