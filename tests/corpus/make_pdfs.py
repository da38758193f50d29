"""Render the committed corpus PDFs with headless Chromium and LibreOffice Writer.

    python -m tests.corpus.make_pdfs            # writes tests/corpus/pdfs/*.pdf and manifest.json

Needs Debian's ``chromium`` and ``libreoffice-writer-nogui``; CI has neither, so the PDFs are
committed and only re-made by hand. Each is the HTML of ``html_render.py`` for one layout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from tests.corpus.html_render import render
from tests.corpus.model import Layout, build, expected

OUT = Path(__file__).parent / "pdfs"

CHROMIUM = [
    replace(
        Layout("chromium-serif-grid", "ddor2017_01-28to02-03", "Chromium: DejaVu Serif 10 pt, grid, cells centred"),
        size=10,
        valign="MIDDLE",
    ),
    replace(
        Layout(
            "chromium-sans-zebra-a4",
            "ddor2017_02-04to02-10",
            "Chromium: sans 9 pt, zebra rows, no rules, A4, Page N of M",
        ),
        family="sans",
        rules="none",
        zebra=True,
        page="a4",
        footer="page-of",
    ),
    replace(
        Layout(
            "chromium-mono-landscape-wrapped",
            "ddor2017_02-11to02-17",
            "Chromium: monospaced 8 pt, landscape Legal, wrapped headers, reversed columns, bare page numbers",
        ),
        family="mono",
        size=8,
        page="legal",
        landscape=True,
        header_wrap=True,
        column_order="reversed",
        footer="bare",
    ),
    replace(
        Layout(
            "chromium-sans-12pt-first-header",
            "ddor-fy18-q2",
            "Chromium: sans 12 pt landscape, header on first page only, rows split, two-line title",
        ),
        family="sans",
        size=12,
        landscape=True,
        repeat_header=False,
        split_rows=True,
        title_wrap=True,
        valign="TOP",
    ),
    replace(
        Layout(
            "chromium-serif-alt-names",
            "ddor2017_02-04to02-10",
            "Chromium: serif 7.5 pt, other header spellings, state names, padded dates, contents list",
        ),
        size=7.5,
        wording="alt",
        states="names",
        dates="padded",
        contents="plain",
        rules="horizontal",
    ),
]
LIBREOFFICE = [
    replace(
        Layout("libreoffice-serif-grid", "ddor2017_01-28to02-03", "LibreOffice: Liberation Serif 9 pt, grid"),
        footer="none",
    ),
    replace(
        Layout(
            "libreoffice-sans-no-rules",
            "ddor2017_02-11to02-17",
            "LibreOffice: sans 10 pt, no rules, shaded plain header, shuffled columns",
        ),
        family="sans",
        size=10,
        rules="none",
        header_bold=False,
        header_shade=True,
        column_order="shuffled",
        footer="none",
    ),
    replace(
        Layout(
            "libreoffice-mono-wrapped",
            "ddor-fy18-q2",
            "LibreOffice: monospaced 8 pt, wrapped headers, terse spellings, zebra",
        ),
        family="mono",
        size=8,
        header_wrap=True,
        wording="terse",
        zebra=True,
        landscape=True,
        footer="none",
    ),
    replace(
        Layout(
            "libreoffice-serif-title-contents",
            "ddor2017_02-04to02-10",
            "LibreOffice: serif 10 pt landscape, two-line title, bulleted contents, padded dates",
        ),
        size=10,
        title_wrap=True,
        contents="bullets",
        dates="padded",
        footer="none",
        landscape=True,
    ),
]


def chromium(source: Path, target: Path) -> None:
    subprocess.run(
        [
            shutil.which("chromium") or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
            # Untagged, as a plain print is: the structure tree would be most of the file.
            "--disable-pdf-tagging",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def libreoffice(source: Path, target: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                shutil.which("soffice") or "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--infilter=HTML (StarWriter)",
                "--convert-to",
                "pdf:writer_pdf_Export",
                "--outdir",
                str(source.parent),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    source.with_suffix(".pdf").replace(target)


def main(only: list[str]) -> None:
    """Render the named layouts (all when none is named); the manifest always lists all."""
    OUT.mkdir(exist_ok=True)
    manifest = []
    for producer, layouts, make in (("chromium", CHROMIUM, chromium), ("libreoffice", LIBREOFFICE, libreoffice)):
        for layout in layouts:
            manifest.append(
                {"file": f"{layout.name}.pdf", "producer": producer, "report": layout.report, "varies": layout.varies}
            )
            if only and layout.name not in only:
                continue
            with tempfile.TemporaryDirectory() as work:
                source = Path(work) / f"{layout.name}.html"
                source.write_text(render(build(expected(layout.report), layout), layout))
                make(source, OUT / f"{layout.name}.pdf")
            print(layout.name, (OUT / f"{layout.name}.pdf").stat().st_size)
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
