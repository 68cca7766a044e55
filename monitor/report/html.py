"""A :class:`~monitor.report.document.ReportDocument` as one self-contained HTML file.

Everything is inside the file: the style sheet, and every plot as inline SVG (its text kept as
text). There is no script, no link, no web font and no image fetched from anywhere, and a
Content-Security-Policy forbids the browser to load anything: a report is a client's health
data and must be safe to open offline and to archive. ``@page`` rules make it print on A4.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from matplotlib.figure import Figure

from monitor import __version__
from monitor.report.document import (
    Heading,
    KeyValues,
    PageBreak,
    Paragraph,
    Plot,
    ReportDocument,
    Table,
)
from monitor.report.figures import report_style

PLOT_WIDTH_IN = 6.87
"""The plots' width: the PDF's text width, so both formats show the same figure."""

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_STYLE = """
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: #2b2f33;
  background: #fff; margin: 0; font-size: 10pt; line-height: 1.4; }
main { max-width: 52em; margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 17pt; margin: 0 0 0.1em; }
.subtitle { color: #6b7278; margin: 0 0 0.6em; padding-bottom: 0.6em;
  border-bottom: 1.2px solid #2b2f33; }
h2 { font-size: 12pt; margin: 1.4em 0 0.4em; padding-bottom: 0.15em;
  border-bottom: 0.8px solid #c9ced3; }
h3 { font-size: 10pt; margin: 1em 0 0.3em; }
p { margin: 0.3em 0 0.6em; }
p.small { font-size: 8pt; color: #6b7278; margin: 0.15em 0; }
p.notice { background: #f6efdc; padding: 0.5em 0.7em; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 1.2em;
  margin: 0.4em 0 0.8em; }
dl.boxed { background: #f2f4f5; padding: 0.7em 0.9em; }
dt { font-weight: bold; color: #6b7278; }
dd { margin: 0; }
table { border-collapse: collapse; margin: 0.4em 0 0.9em; font-size: 9pt; width: 100%; }
th { text-align: left; color: #6b7278; border-bottom: 0.8px solid #6b7278; padding: 0.25em 0.5em; }
td { border-bottom: 0.6px solid #e4e7ea; padding: 0.25em 0.5em; vertical-align: top; }
th.num, td.num { text-align: right; white-space: nowrap; }
figure { margin: 0.6em 0 1em; }
figure svg { width: 100%; height: auto; display: block; }
hr.page { border: 0; border-top: 1px dashed #c9ced3; margin: 2em 0; }
footer { color: #6b7278; font-size: 8pt; border-top: 0.6px solid #c9ced3; margin-top: 2em;
  padding-top: 0.4em; }
@page { size: A4; margin: 15mm 16mm 18mm; }
@media print {
  main { margin: 0; max-width: none; padding: 0; }
  hr.page { border: 0; margin: 0; break-after: page; }
  figure, tr, dl.boxed, p.notice { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"""

# matplotlib's SVG starts with an XML declaration and a DOCTYPE naming the SVG 1.1 DTD by URL;
# inline SVG needs neither, and the report should name no outside resource at all.
_SVG_PREAMBLE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


def plot_svg(plot: Plot) -> str:
    """One plot as an inline ``<svg>`` element (no declaration, no DTD, no metadata)."""
    figure = Figure(figsize=(PLOT_WIDTH_IN, plot.height_in))
    plot.draw(figure, (0.0, 0.0, 1.0, 1.0))
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _SVG_METADATA.sub("", _SVG_PREAMBLE.sub("", buffer.getvalue(), count=1))
    label = html.escape(plot.alt, quote=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def _table(block: Table) -> str:
    if not block.rows:
        return f"<p>{html.escape(block.empty)}</p>"

    def cls(i: int) -> str:
        return ' class="num"' if block.is_numeric(i) else ""

    head = "".join(f"<th{cls(i)}>{html.escape(c)}</th>" for i, c in enumerate(block.columns))
    body = "\n".join(
        "<tr>" + "".join(f"<td{cls(i)}>{html.escape(v)}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in block.rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def render_html(document: ReportDocument) -> str:
    """The whole report as one HTML page."""
    parts: list[str] = []
    with report_style():
        for block in document.blocks:
            match block:
                case Heading(text=text, level=level):
                    tag = "h2" if level == 1 else "h3"
                    parts.append(f"<{tag}>{html.escape(text)}</{tag}>")
                case Paragraph(text=text, tone=tone):
                    css = "" if tone == "body" else f' class="{tone}"'
                    parts.append(f"<p{css}>{html.escape(text)}</p>")
                case KeyValues(rows=rows, boxed=boxed):
                    items = "".join(
                        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows
                    )
                    css = ' class="boxed"' if boxed else ""
                    parts.append(f"<dl{css}>{items}</dl>")
                case Table():
                    parts.append(_table(block))
                case Plot():
                    parts.append(f"<figure>\n{plot_svg(block)}\n</figure>")
                case PageBreak():
                    parts.append('<hr class="page">')
    title = html.escape(f"{document.title}: {document.subtitle}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="Session Monitor {html.escape(__version__)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{html.escape(document.title)}</h1>
<p class="subtitle">{html.escape(document.subtitle)}</p>
{chr(10).join(parts)}
<footer>{html.escape(document.footer)}</footer>
</main>
</body>
</html>
"""


def write_html(document: ReportDocument, path: Path) -> None:
    """Write ``document`` as self-contained HTML (UTF-8) to ``path``."""
    Path(path).write_text(render_html(document), encoding="utf-8")
