"""A :class:`~monitor.report.document.ReportDocument` as an A4 PDF, laid out with matplotlib.

Every page is a matplotlib figure the size of A4. Text is placed in figure coordinates by a small
flow layout: lines are wrapped with the font's real glyph widths
(:class:`matplotlib.textpath.TextToPath`), tables size their columns to their content and continue
on the next page with their header repeated, and plots are drawn straight onto the page as
vector graphics. Fonts are embedded as TrueType (``pdf.fonttype`` 42), so the text can be
selected, searched and read by ``pdftotext`` and screen readers.

Why matplotlib and not Qt's ``QTextDocument``/``QPdfWriter``: the plots stay vector graphics on
the page (``QTextDocument`` takes images only as bitmaps), the bundled DejaVu fonts make the
output the same on every machine (Qt uses whatever fontconfig finds), and no ``QGuiApplication``
has to be created in a command-line batch. The price is this module's ~200 lines of layout.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextToPath

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
from monitor.report.figures import INK, MUTED, RULE, report_style

A4_IN = (8.27, 11.69)
MARGIN_X_IN = 0.7
MARGIN_TOP_IN = 0.6
MARGIN_BOTTOM_IN = 0.75
TEXT_WIDTH_IN = A4_IN[0] - 2 * MARGIN_X_IN

_FAMILY = "DejaVu Sans"
_LEADING = 1.38
_CELL_PAD_IN = 0.06
_NOTICE_FILL = "#f6efdc"
_PANEL_FILL = "#f2f4f5"
_ROW_RULE = "#e4e7ea"

_SIZES = {"title": 16.0, "subtitle": 9.0, "h1": 11.5, "h2": 9.5, "body": 8.5, "small": 7.0,
          "table": 7.5, "footer": 6.5}  # fmt: skip


@functools.cache
def _measurer() -> TextToPath:
    return TextToPath()


@functools.cache
def text_width_in(text: str, size_pt: float, bold: bool = False) -> float:
    """Width of ``text`` in the report font at ``size_pt``, in inches."""
    prop = FontProperties(family=_FAMILY, size=size_pt, weight="bold" if bold else "normal")
    width_pt, _, _ = _measurer().get_text_width_height_descent(text, prop, ismath=False)
    return width_pt / 72.0


def wrap(text: str, width_in: float, size_pt: float, bold: bool = False) -> list[str]:
    """Lines of ``text`` no wider than ``width_in`` (explicit newlines are kept)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width_in(candidate, size_pt, bold) <= width_in or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
            while text_width_in(line, size_pt, bold) > width_in and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and text_width_in(line[:cut], size_pt, bold) > width_in:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def _line_height_in(size_pt: float) -> float:
    return size_pt * _LEADING / 72.0


@dataclass
class _Cell:
    lines: list[str]
    right: bool


class _PdfFlow:
    """Places blocks top to bottom, starting a new A4 page when one does not fit."""

    def __init__(self, document: ReportDocument) -> None:
        self.document = document
        self.pages: list[Figure] = []
        self.fig: Figure
        self.y_in = 0.0  # distance of the cursor from the top of the page
        self._new_page()

    # -- pages ----------------------------------------------------------------------------------

    def _new_page(self) -> None:
        self.fig = Figure(figsize=A4_IN)
        self.pages.append(self.fig)
        self.y_in = MARGIN_TOP_IN

    @property
    def _room_in(self) -> float:
        return A4_IN[1] - MARGIN_BOTTOM_IN - self.y_in

    def _at_top(self) -> bool:
        return self.y_in <= MARGIN_TOP_IN + 1e-9

    def _ensure(self, height_in: float) -> None:
        if height_in > self._room_in and not self._at_top():
            self._new_page()

    def _text(self, x_in: float, y_in: float, text: str, size_pt: float, *, bold: bool = False,
              colour: str = INK, right: bool = False) -> None:  # fmt: skip
        self.fig.text(
            x_in / A4_IN[0], 1.0 - y_in / A4_IN[1], text, fontsize=size_pt, family=_FAMILY,
            fontweight="bold" if bold else "normal", color=colour, va="top",
            ha="right" if right else "left",
        )  # fmt: skip

    def _rect(self, x_in: float, y_in: float, w_in: float, h_in: float, colour: str) -> None:
        self.fig.add_artist(Rectangle(
            (x_in / A4_IN[0], 1.0 - (y_in + h_in) / A4_IN[1]), w_in / A4_IN[0], h_in / A4_IN[1],
            transform=self.fig.transFigure, facecolor=colour, edgecolor="none", zorder=-1,
        ))  # fmt: skip

    def _rule(self, y_in: float, colour: str = RULE, x_in: float = MARGIN_X_IN,
              w_in: float = TEXT_WIDTH_IN, width_pt: float = 0.6) -> None:  # fmt: skip
        y = 1.0 - y_in / A4_IN[1]
        self.fig.add_artist(Line2D(
            (x_in / A4_IN[0], (x_in + w_in) / A4_IN[0]), (y, y), transform=self.fig.transFigure,
            color=colour, linewidth=width_pt,
        ))  # fmt: skip

    # -- blocks ---------------------------------------------------------------------------------

    def title(self) -> None:
        doc = self.document
        self._text(MARGIN_X_IN, self.y_in, doc.title, _SIZES["title"], bold=True)
        self.y_in += _line_height_in(_SIZES["title"]) + 0.02
        for line in wrap(doc.subtitle, TEXT_WIDTH_IN, _SIZES["subtitle"]):
            self._text(MARGIN_X_IN, self.y_in, line, _SIZES["subtitle"], colour=MUTED)
            self.y_in += _line_height_in(_SIZES["subtitle"])
        self.y_in += 0.06
        self._rule(self.y_in, INK, width_pt=0.8)
        self.y_in += 0.12

    def heading(self, block: Heading) -> None:
        size = _SIZES["h1"] if block.level == 1 else _SIZES["h2"]
        before = 0.0 if self._at_top() else (0.2 if block.level == 1 else 0.12)
        # Keep a heading with at least an inch of what follows it.
        self._ensure(before + _line_height_in(size) + 1.0)
        self.y_in += 0.0 if self._at_top() else before
        self._text(MARGIN_X_IN, self.y_in, block.text, size, bold=True)
        self.y_in += _line_height_in(size) + (0.03 if block.level == 1 else 0.02)
        if block.level == 1:
            self._rule(self.y_in - 0.02)
            self.y_in += 0.05

    def paragraph(self, block: Paragraph) -> None:
        size = _SIZES["small"] if block.tone == "small" else _SIZES["body"]
        pad = 0.08 if block.tone == "notice" else 0.0
        lines = wrap(block.text, TEXT_WIDTH_IN - 2 * pad, size)
        line_h = _line_height_in(size)
        height = len(lines) * line_h + 2 * pad
        if height <= A4_IN[1] - MARGIN_TOP_IN - MARGIN_BOTTOM_IN:
            self._ensure(height)
        if block.tone == "notice":
            self._rect(MARGIN_X_IN, self.y_in, TEXT_WIDTH_IN, height, _NOTICE_FILL)
        y = self.y_in + pad
        for line in lines:
            if y + line_h > A4_IN[1] - MARGIN_BOTTOM_IN:
                self._new_page()
                y = self.y_in
            self._text(MARGIN_X_IN + pad, y, line, size, colour=MUTED if block.tone == "small"
                       else INK)  # fmt: skip
            y += line_h
        self.y_in = y + pad + (0.03 if block.tone == "small" else 0.07)

    def key_values(self, block: KeyValues) -> None:
        size = _SIZES["body"]
        pad = 0.1 if block.boxed else 0.0
        label_w = min(2.3, max(text_width_in(k, size, True) for k, _ in block.rows) + 0.2)
        value_w = TEXT_WIDTH_IN - 2 * pad - label_w
        rows = [(k, wrap(v, value_w, size)) for k, v in block.rows]
        line_h = _line_height_in(size)
        height = sum(len(v) for _, v in rows) * line_h + 2 * pad + 0.02 * len(rows)
        self._ensure(height)
        if block.boxed:
            self._rect(MARGIN_X_IN, self.y_in, TEXT_WIDTH_IN, height, _PANEL_FILL)
        y = self.y_in + pad
        for key, lines in rows:
            self._text(MARGIN_X_IN + pad, y, key, size, bold=True, colour=MUTED)
            for line in lines:
                self._text(MARGIN_X_IN + pad + label_w, y, line, size)
                y += line_h
            y += 0.02
        self.y_in = y + pad + 0.08

    def table(self, block: Table) -> None:
        size = _SIZES["table"]
        if not block.rows:
            self.paragraph(Paragraph(block.empty))
            return
        widths = _column_widths(block, size)
        line_h = _line_height_in(size)

        def cells(row: Sequence[str], bold: bool) -> list[_Cell]:
            return [
                _Cell(wrap(text, widths[i] - 2 * _CELL_PAD_IN, size, bold), block.is_numeric(i))
                for i, text in enumerate(row)
            ]

        header = cells(block.columns, True)
        header_h = max(len(c.lines) for c in header) * line_h + 2 * _CELL_PAD_IN
        body = [cells(row, False) for row in block.rows]
        first_h = max(len(c.lines) for c in body[0]) * line_h + 2 * _CELL_PAD_IN
        self._ensure(header_h + first_h)
        self._table_row(header, widths, header_h, bold=True)
        self._rule(self.y_in, MUTED, width_pt=0.5)
        for row in body:
            height = max(len(c.lines) for c in row) * line_h + 2 * _CELL_PAD_IN
            if height > self._room_in:
                self._new_page()
                self._table_row(header, widths, header_h, bold=True)
                self._rule(self.y_in, MUTED, width_pt=0.5)
            self._table_row(row, widths, height, bold=False)
            self._rule(self.y_in, _ROW_RULE, width_pt=0.4)
        self.y_in += 0.1

    def _table_row(self, row: list[_Cell], widths: list[float], height_in: float,
                   bold: bool) -> None:  # fmt: skip
        size = _SIZES["table"]
        x = MARGIN_X_IN
        for cell, width in zip(row, widths, strict=True):
            y = self.y_in + _CELL_PAD_IN
            for line in cell.lines:
                if cell.right:
                    self._text(x + width - _CELL_PAD_IN, y, line, size, bold=bold, right=True,
                               colour=MUTED if bold else INK)  # fmt: skip
                else:
                    self._text(x + _CELL_PAD_IN, y, line, size, bold=bold,
                               colour=MUTED if bold else INK)  # fmt: skip
                y += _line_height_in(size)
            x += width
        self.y_in += height_in

    def plot(self, block: Plot) -> None:
        self._ensure(block.height_in)
        rect = (
            MARGIN_X_IN / A4_IN[0],
            1.0 - (self.y_in + block.height_in) / A4_IN[1],
            TEXT_WIDTH_IN / A4_IN[0],
            block.height_in / A4_IN[1],
        )
        block.draw(self.fig, rect)
        self.y_in += block.height_in + 0.1

    # -- the whole document -------------------------------------------------------------------

    def run(self) -> list[Figure]:
        self.title()
        for block in self.document.blocks:
            match block:
                case Heading():
                    self.heading(block)
                case Paragraph():
                    self.paragraph(block)
                case KeyValues():
                    self.key_values(block)
                case Table():
                    self.table(block)
                case Plot():
                    self.plot(block)
                case PageBreak():
                    if not self._at_top():
                        self._new_page()
        if self._at_top() and len(self.pages) > 1:
            self.pages.pop()
        self._footers()
        return self.pages

    def _footers(self) -> None:
        total = len(self.pages)
        y_in = A4_IN[1] - MARGIN_BOTTOM_IN + 0.3
        for number, page in enumerate(self.pages, start=1):
            self.fig = page
            self._rule(y_in - 0.06, RULE, width_pt=0.4)
            self._text(MARGIN_X_IN, y_in, self.document.footer, _SIZES["footer"], colour=MUTED)
            self._text(MARGIN_X_IN + TEXT_WIDTH_IN, y_in, f"page {number} of {total}",
                       _SIZES["footer"], colour=MUTED, right=True)  # fmt: skip


def _column_widths(block: Table, size_pt: float) -> list[float]:
    """Column widths that fit the text width.

    Each column's *natural* width holds its widest cell and its header on one line; its
    *minimum* holds the header's longest word and, except in the wrap column, every cell on one
    line (numbers and times never wrap). When the natural widths do not fit, every column gets
    its minimum and the rest of the text width is shared out in proportion to what each still
    lacks; the wrap column (e.g. an alert's reason) takes whatever is left.
    """
    count = len(block.columns)
    pad = 2 * _CELL_PAD_IN + 0.04

    def cells(i: int) -> list[float]:
        return [text_width_in(row[i], size_pt) for row in block.rows]

    natural = [max(text_width_in(block.columns[i], size_pt, True), *cells(i)) + pad
               for i in range(count)]  # fmt: skip
    minimum = []
    for i in range(count):
        header_word = max(text_width_in(w, size_pt, True) for w in block.columns[i].split())
        widest_cell = 0.4 if i == block.wrap else max(cells(i))
        minimum.append(min(natural[i], max(header_word, widest_cell) + pad))
    if sum(natural) <= TEXT_WIDTH_IN:
        if block.wrap is not None:
            natural[block.wrap] += TEXT_WIDTH_IN - sum(natural)
        return natural
    spare = TEXT_WIDTH_IN - sum(minimum)
    if spare <= 0:  # too many columns for the page: shrink in proportion, cells will wrap
        return [w * TEXT_WIDTH_IN / sum(minimum) for w in minimum]
    lacking = [n - m for n, m in zip(natural, minimum, strict=True)]
    if block.wrap is not None:
        widths = [
            n if i != block.wrap else m
            for i, (n, m) in enumerate(zip(natural, minimum, strict=True))
        ]
        if sum(widths) <= TEXT_WIDTH_IN:
            widths[block.wrap] += TEXT_WIDTH_IN - sum(widths)
            return widths
    share = spare / sum(lacking)
    return [m + share * gap for m, gap in zip(minimum, lacking, strict=True)]


def write_pdf(document: ReportDocument, path: Path) -> int:
    """Write ``document`` as an A4 PDF to ``path`` (an existing, owner-only file is fine).

    Returns
    -------
    int
        The number of pages.
    """
    with report_style():
        pages = _PdfFlow(document).run()
        metadata = {
            "Title": f"{document.title}: {document.subtitle}",
            "Creator": f"Session Monitor {__version__}",
            "Producer": "matplotlib",
            "CreationDate": None,  # the content, not the moment, makes the report
        }
        with PdfPages(path, metadata=metadata) as pdf:
            for page in pages:
                pdf.savefig(page)
    return len(pages)
