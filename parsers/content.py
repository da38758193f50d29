"""A page's content stream → its operands and operators, as pdfminer's interpreter wants them.

Why not pdfminer's own ``PDFContentParser``: it is a character-level state machine (one Python
call per token *part*, plus a ``log.debug`` per token even when logging is off), and on the
35-page report 1 it was ~60 % of the whole parse. This reads the same grammar with one regular
expression match per token. pdfminer still interprets the operators (text state, fonts, forms).

It yields what pdfminer's ``PDFContentParser.nextobject`` yields, quirks included, because the
interpreter downstream was written against them and tests/parsers/test_content.py compares both
on every page of the corpus and on generated streams:

* numbers: ``-.5``, ``+3.``; a lone sign or dot is dropped; ``1.2.3`` is ``1.2`` then ``.3``;
* names: ``/A#42`` is ``AB``, a ``#`` without hex digits is dropped; UTF-8 names are ``str``;
  a name whose ``#`` escape is cut by the end of the stream is dropped;
* literal strings: nested parentheses; ``\\ddd`` octal (over 255 is an error, as in pdfminer);
  an unknown escape drops both the backslash and its character; unterminated: dropped;
* hex strings end at the first byte that is neither hex nor white space (``>`` is then read as
  its own token and dropped); an odd last digit is that digit's value (``<4>`` is ``\\x04``);
* ``[ ]``, ``<< >>``, ``{ }`` build lists and dicts; a closer that does not match is ignored;
  an operator inside an array stays in it; a dict with an odd item count is an error;
* an inline image (``BI … ID <data> EI``) yields its ``PDFStream`` then the ``EI`` operator.
"""

from __future__ import annotations

import re
from binascii import Error as BinasciiError
from binascii import unhexlify
from collections.abc import Iterator
from typing import Any

from pdfminer.pdftypes import LITERALS_ASCII85_DECODE, PDFStream, resolve1
from pdfminer.psparser import KWD, LIT, PSSyntaxError, literal_name

# One token per match. The leading white space / comment part cannot backtrack (each repeat
# starts with "%"), and the last alternatives match any byte or the end, so a match never fails.
_TOKEN = re.compile(
    rb"[\s\x00]*(?:%[^\r\n]*[\s\x00]*)*"
    rb"(?:"
    rb"(?P<number>[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]*)|[-+])"
    rb"|(?P<keyword>[A-Za-z][^#/%\[\]()<>{}\s]*)"
    rb"|/(?P<name>(?:[^#/%\[\]()<>{}\s]|#[0-9A-Fa-f]{0,2})*)"
    rb"|(?P<string>\()"
    rb"|(?P<dict_begin><<)"
    rb"|<(?P<hex>[\s0-9A-Fa-f]*)"
    rb"|(?P<dict_end>>>)"
    rb"|(?P<lone_gt>>)"
    rb"|(?P<other>.)"
    rb"|(?P<end>\Z)"
    rb")",
    re.DOTALL,
)
# The body of an array of plain numbers, hex strings and escape-free literal strings (a TJ's
# kerned text, most tokens of a page), up to its "]": read by one match and a findall instead
# of a loop turn per element. Atomic groups: a body that does not fit fails in linear time.
_PLAIN_NUMBER = rb"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_PLAIN_ARRAY = re.compile(
    rb"(?>[ \t\n\r\f\v]*(?>" + _PLAIN_NUMBER + rb"|<[0-9A-Fa-f]*>|\([^()\\]*\)))*+[ \t\n\r\f\v]*\]"
)
_PLAIN_ELEMENT = re.compile(rb"(" + _PLAIN_NUMBER + rb")|<([0-9A-Fa-f]*)>|\(([^()\\]*)\)")
_STRING_STOP = re.compile(rb"[()\\]")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{1,2})?")
_ESCAPE_AT_END = re.compile(rb"#[0-9A-Fa-f]{0,2}\Z")
_HEX_PAIR = re.compile(rb"[0-9a-fA-F]{2}|.", re.DOTALL)
_WHITE = re.compile(rb"\s")
_ESCAPES = {
    ord("b"): b"\x08",
    ord("t"): b"\t",
    ord("n"): b"\n",
    ord("f"): b"\x0c",
    ord("r"): b"\r",
    ord("("): b"(",
    ord(")"): b")",
    ord("\\"): b"\\",
}
_CR, _LF = ord("\r"), ord("\n")
_OPENERS = {b"[": "a", b"{": "p"}
_CLOSERS = {b"]": "a", b"}": "p"}
_BI, _ID, _EI = KWD(b"BI"), KWD(b"ID"), KWD(b"EI")
_TRAILING_EOL = re.compile(rb"(\x0d\x0a|[\x0d\x0a])$")


def _name(raw: bytes) -> Any:
    if b"#" in raw:
        raw = _NAME_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)) if m.group(1) else b"", raw)
    try:
        return LIT(str(raw, "utf-8"))
    except UnicodeDecodeError:
        return LIT(raw)


def _hex(digits: bytes) -> bytes:
    try:
        return unhexlify(digits)  # the usual case: pairs, no white space
    except BinasciiError:
        pass
    return _HEX_PAIR.sub(lambda m: bytes((int(m.group(0), 16),)), _WHITE.sub(b"", digits))


def _plain(number: bytes, hex_digits: bytes, string: bytes) -> Any:
    """One element of a plain array, from ``_PLAIN_ELEMENT``'s three groups (one is set)."""
    if number:
        return float(number) if b"." in number else int(number)
    if hex_digits:
        return _hex(hex_digits)
    return string  # "()" and "<>" are both b""


def _string(data: bytes, start: int) -> tuple[bytes | None, int]:
    """The literal string whose "(" ends at ``start``; (None, end) when it is never closed."""
    parts: list[bytes] = []
    depth, position, size = 1, start, len(data)
    while True:
        stop = _STRING_STOP.search(data, position)
        if stop is None:
            return None, size
        at = stop.start()
        parts.append(data[position:at])
        char = data[at]
        position = at + 1
        if char == 0x5C:  # backslash
            if position >= size:
                return None, size
            octal = _OCTAL.match(data, position)
            if octal:
                code = int(octal.group(), 8)
                if code > 255:
                    raise PSSyntaxError(f"invalid octal escape {octal.group()!r} ({code})")
                parts.append(bytes((code,)))
                position = octal.end()
                continue
            escaped = data[position]
            parts.append(_ESCAPES.get(escaped, b""))
            position += 2 if escaped == _CR and data[position + 1 : position + 2] == b"\n" else 1
        elif char == 0x28:  # (
            depth += 1
            parts.append(b"(")
        else:
            depth -= 1
            if not depth:
                return b"".join(parts), position
            parts.append(b")")


def _inline_data(data: bytes, start: int, target: bytes) -> tuple[bytes, int] | None:
    """pdfminer's scan for the end of inline image data: ``target`` then one white-space byte.
    None when the stream ends first (pdfminer then ends the page)."""
    matched, position, size = 0, start, len(data)
    while matched <= len(target):
        if position >= size:
            return None
        if matched:
            char = data[position : position + 1]
            position += 1
            if (matched >= len(target) and char.isspace()) or (
                matched < len(target) and char == target[matched : matched + 1]
            ):
                matched += 1
            else:
                matched = 0
        else:
            found = data.find(target[:1], position)
            if found < 0:
                position = size
            else:
                position, matched = found + 1, 1
    body = data[start:position][: -(len(target) + 1)]
    return _TRAILING_EOL.sub(b"", body), position


def _inline_image(objects: list[Any]) -> tuple[dict[str, Any], bytes] | None:
    """The inline image's dictionary and its end marker; None when its keys do not pair up."""
    if len(objects) % 2:
        return None
    entries = {literal_name(k): resolve1(v) for k, v in zip(objects[::2], objects[1::2], strict=True)}
    filters = entries.get("F")
    if filters is not None and not isinstance(filters, list):
        filters = [filters]
    eos = b"~>" if filters and filters[0] in LITERALS_ASCII85_DECODE else b"EI"
    return entries, eos


def content_objects(data: bytes) -> Iterator[Any]:  # noqa: C901, PLR0912, PLR0915 — one token loop, kept flat for speed
    """The top-level objects of a content stream, in order: operands and ``PSKeyword`` operators."""
    # An open array, dict, procedure or inline image: (its type, the stack it interrupted).
    context: list[tuple[str | None, list[Any]]] = []
    kind: str | None = None
    stack: list[Any] = []
    keywords: dict[bytes, Any] = {b"true": True, b"false": False}
    match = _TOKEN.match
    position = 0
    while True:
        token = match(data, position)
        assert token is not None  # the pattern's last alternatives match anything
        position = token.end()
        group = token.lastgroup
        value: Any
        if group == "number":  # the commonest token: converted here, not in a call
            text = token.group("number")
            try:
                value = float(text) if b"." in text else int(text)
            except ValueError:  # a lone sign or dot
                continue
        elif group == "keyword":
            raw = token.group("keyword")
            value = keywords.get(raw)
            if value is None:
                value = keywords[raw] = KWD(raw)
            if value is _BI:
                context.append((kind, stack))
                kind, stack = "inline", []
                continue
            if value is _ID:
                if kind != "inline":
                    continue  # pdfminer ignores an ID outside an inline image
                objects = stack
                kind, stack = context.pop()
                image = _inline_image(objects)
                if image is None:
                    continue
                found = _inline_data(data, token.start("keyword") + 3, image[1])
                if found is None:
                    return
                body, position = found
                if image[1] != b"EI":
                    body += image[1]
                # pdfminer re-seeks here, which drops whatever was still open around the image.
                context, kind, stack = [], None, []
                yield PDFStream(image[0], body)
                if image[1] == b"EI":
                    yield _EI
                continue
        elif group == "name":
            raw = token.group("name")
            if position == len(data) and _ESCAPE_AT_END.search(raw):
                return  # pdfminer is still reading the escape when the stream ends: dropped
            value = _name(raw)
        elif group == "string":
            value, position = _string(data, position)
            if value is None:
                return
        elif group == "hex":
            if position >= len(data):
                return  # unterminated at the end of the stream: pdfminer drops it
            value = _hex(token.group("hex"))
        elif group == "other":
            raw = token.group("other")
            if raw == b"[" and (plain := _PLAIN_ARRAY.match(data, position)):
                value = [_plain(*element) for element in _PLAIN_ELEMENT.findall(data, position, plain.end() - 1)]
                position = plain.end()
            elif raw in _OPENERS:
                context.append((kind, stack))
                kind, stack = _OPENERS[raw], []
                continue
            elif raw in _CLOSERS:
                if kind != _CLOSERS[raw]:
                    continue
                value = stack
                kind, stack = context.pop()
            else:
                value = KWD(raw)
        elif group == "dict_begin":
            context.append((kind, stack))
            kind, stack = "d", []
            continue
        elif group == "dict_end":
            if kind != "d":
                continue
            if len(stack) % 2:
                raise PSSyntaxError(f"Invalid dictionary construct: {stack!r}")
            value = {literal_name(k): v for k, v in zip(stack[::2], stack[1::2], strict=True) if v is not None}
            kind, stack = context.pop()
        elif group == "lone_gt":
            continue
        else:  # end
            return
        if context:
            stack.append(value)
        else:
            yield value
