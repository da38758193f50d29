"""PDF bytes in, typed ``Report`` out. Pure: no files, network or database here."""

from parsers.ddor import parse_report
from parsers.errors import ParseError
from parsers.models import DeclinedRow, IssuedRow, PolicyRow, Report, ReportMeta

__all__ = ["DeclinedRow", "IssuedRow", "ParseError", "PolicyRow", "Report", "ReportMeta", "parse_report"]
