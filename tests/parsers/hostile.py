"""Hostile and malformed inputs, generated here (none downloaded), and stand-in parsers
that hang or allocate without end (module level, so a spawned child can import them)."""

from __future__ import annotations

import io
import random
import zlib

from parsers.models import Report


def loop_forever(data: bytes, max_pages: int) -> Report:
    while True:
        pass


def allocate_forever(data: bytes, max_pages: int) -> Report:
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))


def _pdf(objects: list[bytes], root: int = 1, broken_xref: bool = False) -> bytes:
    """A PDF from numbered object bodies (1-based), with a correct (or garbage) xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % (offset * 7 + 13 if broken_xref else offset))
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref))
    return out.getvalue()


def _stream(data: bytes, filters: str = "") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), filters.encode()) + data + b"\nendstream"


def text_page_pdf(text: str = "Hello", broken_xref: bool = False) -> bytes:
    content = b"BT /F1 12 Tf 72 700 Td (" + text.encode() + b") Tj ET"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
        broken_xref=broken_xref,
    )


def recursive_pages_pdf() -> bytes:
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ]
    )


def circular_xobject_pdf() -> bytes:
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /XObject << /X1 5 0 R >> >> >>",
            _stream(b"/X1 Do"),
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X1 5 0 R >> >> "
            b"/Length 6 >>\nstream\n/X1 Do\nendstream",
        ]
    )


def flate_bomb_pdf(inflated_mb: int = 700) -> bytes:
    """A content stream that inflates to ``inflated_mb`` MiB through two nested Flate filters."""
    compressor = zlib.compressobj(9)
    chunk = b"\x00" * (1024 * 1024)
    inner = b"".join(compressor.compress(chunk) for _ in range(inflated_mb)) + compressor.flush()
    outer = zlib.compress(inner, 9)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            _stream(outer, "/Filter [/FlateDecode /FlateDecode]"),
        ]
    )


def many_pages_pdf(count: int = 5000) -> bytes:
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(count))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * count
    return _pdf(objects)


def encrypted_pdf() -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, encrypt=pdfencrypt.StandardEncryption("user-secret", "owner-secret"))
    page.drawString(72, 700, "Weekly Declined Detainer Outcome Report")
    page.save()
    return out.getvalue()


def image_only_pdf() -> bytes:
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            _stream(b"0 0 1 rg 10 10 100 100 re f"),
        ]
    )


def corpus(report: bytes, form: bytes) -> dict[str, bytes]:
    rng = random.Random(20170320)
    flipped = bytearray(report)
    for _ in range(200):
        flipped[rng.randrange(2000, len(flipped))] = rng.randrange(256)
    return {
        "zero-bytes": b"",
        "html-saved-as-pdf": b"<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>",
        "not-a-pdf": b"PK\x03\x04 this is a zip file, not a report",
        "header-only": b"%PDF-1.7\n%%EOF\n",
        "random-after-header": b"%PDF-1.4\n" + bytes(rng.randrange(256) for _ in range(20000)),
        "truncated-report": report[: len(report) // 3],
        "truncated-at-start": report[:1500],
        "bad-xref": text_page_pdf("Declined Detainer Outcome Report", broken_xref=True),
        "recursive-pages": recursive_pages_pdf(),
        "circular-xobject": circular_xobject_pdf(),
        "encrypted-user-password": encrypted_pdf(),
        "unrelated-pdf": form,
        "plain-text-pdf": text_page_pdf("Quarterly budget of the parks department"),
        "image-only": image_only_pdf(),
        "5000-pages": many_pages_pdf(),
        "bytes-flipped-report": bytes(flipped),
    }
