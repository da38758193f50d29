"""PDF bytes in, typed ``Report`` out. Pure: no files, network or database here.

Names are imported lazily so that importing the models or jurisdiction keys does not load
pdfminer."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parsers.ddor import parse_report
    from parsers.errors import ParseError
    from parsers.models import DeclinedRow, IssuedRow, PolicyRow, Report, ReportMeta

_HOMES = {
    "parse_report": "parsers.ddor",
    "ParseError": "parsers.errors",
    "DeclinedRow": "parsers.models",
    "IssuedRow": "parsers.models",
    "PolicyRow": "parsers.models",
    "Report": "parsers.models",
    "ReportMeta": "parsers.models",
}
__all__ = ["DeclinedRow", "IssuedRow", "ParseError", "PolicyRow", "Report", "ReportMeta", "parse_report"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'parsers' has no attribute {name!r}")
