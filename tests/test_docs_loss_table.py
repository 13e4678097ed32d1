"""docs/alternatives.md shows the loss table exactly as the registry generates it."""

from __future__ import annotations

from pathlib import Path

from focalkit.losses import TABLE_END, TABLE_START, loss_names, markdown_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "alternatives.md"


def test_docs_table_matches_the_registry():
    text = DOC.read_text()
    start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
    assert text[start:end] == markdown_table(), (
        "docs/alternatives.md is stale: replace its loss table with the output of "
        "python -c 'from focalkit.losses import markdown_table; print(markdown_table())'"
    )


def test_every_loss_is_in_the_table():
    table = markdown_table()
    for name in loss_names():
        assert f"| `{name}`" in table
