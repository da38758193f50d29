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


# The house reads top-down: each package may import only the ones below it.
BELOW = {
    "ddor": {"monitor", "crawler", "storage", "parsers"},
    "monitor": {"storage", "parsers"},
    "crawler": {"storage", "parsers"},
    "storage": {"parsers"},
    "parsers": set(),
}


@pytest.mark.parametrize("package", sorted(BELOW))
def test_no_import_goes_back_up(package: str) -> None:
    import re

    ours = re.compile(r"^\s*(?:from|import) (" + "|".join(BELOW) + r")\b", re.MULTILINE)
    for path in (REPO / package).rglob("*.py"):
        imported = set(ours.findall(path.read_text())) - {package}
        assert imported <= BELOW[package], (path.relative_to(REPO), imported - BELOW[package])


def test_no_module_shadows_the_standard_library() -> None:
    import sys

    for package in ("ddor", "crawler", "parsers", "storage", "monitor"):
        for path in (REPO / package).rglob("*.py"):
            assert path.stem not in sys.stdlib_module_names or path.stem == "__init__", path
