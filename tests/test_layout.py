"""The generic top-level names (crawler, storage, …) must be ours, not an installed package's."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["ddor", "crawler", "parsers", "storage", "monitor"])
def test_package_resolves_to_this_repository(name: str) -> None:
    module = importlib.import_module(name)
    assert Path(module.__file__ or "").resolve().parent == REPO / name


def test_parsers_import_nothing_of_ours() -> None:
    """parsers is the leaf of the flow: no arrow runs back up from it."""
    for path in (REPO / "parsers").glob("*.py"):
        text = path.read_text()
        for other in ("ddor", "crawler", "storage", "monitor"):
            assert f"from {other}" not in text and f"import {other}" not in text, (path, other)


def test_no_module_shadows_the_standard_library() -> None:
    import sys

    for package in ("ddor", "crawler", "parsers", "storage", "monitor"):
        for path in (REPO / package).rglob("*.py"):
            assert path.stem not in sys.stdlib_module_names or path.stem == "__init__", path
