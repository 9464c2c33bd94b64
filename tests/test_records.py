"""rag/records.py: the fast `Hit` constructor retrieval uses equals the dataclass's own."""

from __future__ import annotations

from dataclasses import fields

import pytest

from rag.records import Hit, hit_of


@pytest.mark.parametrize("values", [
    ("dongzhi-2025-3", "8", 0.0325, 7.5, 0.61, 0.58, (2, 0, 1), 0.8, 0.75),
    ("dangzhang-2022", "第三十二条", 0.0, 0.0, -1.0, None, (), 0.0, None),
])
def test_hit_of_equals_the_dataclass(values: tuple[object, ...]) -> None:
    names = [f.name for f in fields(Hit)]
    made, plain = hit_of(values), Hit(**dict(zip(names, values, strict=True)))  # type: ignore[arg-type]
    assert made == plain and hash(made) == hash(plain)
    assert made.key == plain.key == f"{values[0]}#{values[1]}" and made.strength == plain.strength
    with pytest.raises(AttributeError):
        made.score = 1.0  # type: ignore[misc]  # still frozen


def test_hit_of_needs_every_field() -> None:
    with pytest.raises(ValueError):
        hit_of(("dongzhi-2025-3", "8", 0.1))
