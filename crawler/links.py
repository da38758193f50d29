"""The listing page → report links and ICE's notes, found by what they say, not by CSS path.

A report link is a link to a PDF whose text or file name names a Declined Detainer (Outcome)
Report or a DDOR; the page's forms, fact sheets and spreadsheets are not. Entries are read in
document order: a date line (``March 20, 2017``) opens an entry, and the links and "Note
posted on ICE.gov" paragraphs after it belong to it, so notes stay with their report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from crawler.result import Link, Note

_REPORT_WORDS = re.compile(r"declined[\s_\-]*detainer|\bddor", re.IGNORECASE)
_NOT_REPORT = re.compile(r"\bform\b|fact\s*sheet|questions\s+and\s+answers|\bfaq\b", re.IGNORECASE)
_DATE_LINE = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+\d{1,2},\s+\d{4}$"
)
_NOTE = re.compile(r"^(Note posted on ICE\.gov|Correction:|Update:)", re.IGNORECASE)
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "dt", "dd", "div", "span", "section"}


@dataclass
class ListingPage:
    links: list[Link]
    notes: list[Note]
    other_links: int


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def is_report_link(href: str, text: str, context: str = "") -> bool:
    """A PDF whose link text, file name or surrounding entry (a table row or list item around
    a bare "Download (PDF)" link) says it is a DDOR, and not a form or fact sheet."""
    path = urlsplit(href).path
    filename = path.rsplit("/", 1)[-1]
    is_pdf = filename.lower().endswith(".pdf") or "pdf" in text.lower()
    if not is_pdf or _NOT_REPORT.search(text) or _NOT_REPORT.search(context):
        return False
    return bool(_REPORT_WORDS.search(text) or _REPORT_WORDS.search(filename) or _REPORT_WORDS.search(context))


def _entry_text(link: lxml_html.HtmlElement, text: str) -> str:
    """The text of the smallest enclosing entry that says more than the link itself (up to
    three levels up, and short: a whole page section is not an entry)."""
    element = link.getparent()
    for _ in range(3):
        if element is None or element.tag in ("body", "html", "main", "table", "ul", "ol"):
            return ""
        context = _fold(element.text_content())
        if len(context) > len(text) + 10:
            return context if len(context) <= 400 else ""
        element = element.getparent()
    return ""


def _own_text(element: lxml_html.HtmlElement) -> str:
    """Text of a block that has no block children (so nested blocks are not read twice)."""
    if any(isinstance(child.tag, str) and child.tag in _BLOCKS for child in element):
        return ""
    return _fold(element.text_content())


def parse_listing(body: str | bytes, base_url: str) -> ListingPage:
    document = lxml_html.fromstring(body or b"<html></html>")
    for junk in document.xpath("//script|//style|//noscript"):
        junk.drop_tree()
    links: list[Link] = []
    notes: list[Note] = []
    seen: set[str] = set()
    other = 0
    date_line: str | None = None
    current: Link | None = None
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "a" and element.get("href"):
            url = urljoin(base_url, element.get("href").strip())
            text = _fold(element.text_content())
            context = _entry_text(element, text)
            if urlsplit(url).scheme in ("http", "https") and is_report_link(url, text, context):
                if url not in seen:
                    seen.add(url)
                    current = Link(url, text, date_line)
                    links.append(current)
            else:
                other += 1
            continue
        if element.tag not in _BLOCKS:
            continue
        text = _own_text(element)
        if _DATE_LINE.match(text):
            date_line, current = text, None
        elif _NOTE.match(text):
            body_text = re.sub(r"^Note posted on ICE\.gov( website)?:\s*", "", text, flags=re.IGNORECASE)
            notes.append(Note(body_text, date_line, current.url if current else None))
            if current:
                current.notes.append(body_text)
    return ListingPage(links, notes, other)
