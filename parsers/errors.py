"""Typed parse failures. Each carries a one-line reason a person can act on."""

from __future__ import annotations


class ParseError(Exception):
    """The file could not be read as a DDOR. ``kind`` names the failure class."""

    kind = "unreadable"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAPdf(ParseError):
    kind = "not_pdf"


class EmptyFile(ParseError):
    kind = "empty"


class EncryptedPdf(ParseError):
    kind = "encrypted"


class NotAReport(ParseError):
    kind = "not_report"


class TooLarge(ParseError):
    kind = "too_large"


class TooManyPages(ParseError):
    kind = "too_many_pages"


class ParseTimeout(ParseError):
    kind = "timeout"


class ParseMemory(ParseError):
    kind = "memory"


class ParseCrashed(ParseError):
    kind = "crashed"


ERROR_KINDS: dict[str, type[ParseError]] = {
    cls.kind: cls
    for cls in (
        ParseError,
        NotAPdf,
        EmptyFile,
        EncryptedPdf,
        NotAReport,
        TooLarge,
        TooManyPages,
        ParseTimeout,
        ParseMemory,
        ParseCrashed,
    )
}
