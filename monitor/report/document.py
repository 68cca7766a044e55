"""A report as a list of blocks, independent of the output format.

The report builders (:mod:`monitor.report.session_report`, :mod:`monitor.report.progress`)
decide *what* a report says; :mod:`monitor.report.pdf` and :mod:`monitor.report.html` only
decide how it looks. Both formats therefore carry exactly the same text and numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from matplotlib.figure import Figure

Rect = tuple[float, float, float, float]
"""``(left, bottom, width, height)`` in figure fractions, as ``Figure.add_axes`` takes."""

DrawFunction = Callable[[Figure, Rect], None]
"""Draws a plot into ``rect`` of a figure (a PDF page, or a figure of its own for HTML)."""


@dataclass(frozen=True)
class Heading:
    """A section title; ``level`` 1 for sections, 2 for subsections."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """Running text. ``tone``: ``"body"``, ``"small"`` (footnotes) or ``"notice"`` (highlighted:
    baseline warnings, what-if settings)."""

    text: str
    tone: Literal["body", "small", "notice"] = "body"


@dataclass(frozen=True)
class KeyValues:
    """Label–value pairs, e.g. the header; ``boxed`` draws them on a light panel."""

    rows: Sequence[tuple[str, str]]
    boxed: bool = False


@dataclass(frozen=True)
class Table:
    """A table with a header row.

    Attributes
    ----------
    columns : sequence of str
    rows : sequence of sequence of str
    numeric : sequence of bool
        Right-align these columns (numbers); by default every column but the first.
    wrap : int or None
        The column that takes the remaining width and wraps (e.g. an alert's reason).
    empty : str
        Shown instead of the table when it has no rows.
    """

    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: Sequence[bool] | None = None
    wrap: int | None = None
    empty: str = "None."

    def is_numeric(self, column: int) -> bool:
        if self.numeric is not None:
            return bool(self.numeric[column])
        return column > 0


@dataclass(frozen=True)
class Plot:
    """A figure drawn by ``draw`` at the full text width and ``height_in`` inches tall."""

    draw: DrawFunction
    height_in: float
    alt: str


@dataclass(frozen=True)
class PageBreak:
    """Start a new page (PDF); a horizontal rule in HTML."""


Block = Heading | Paragraph | KeyValues | Table | Plot | PageBreak


@dataclass
class ReportDocument:
    """A whole report.

    Attributes
    ----------
    title : str
        E.g. ``"Session report"``.
    subtitle : str
        E.g. the client code and date.
    footer : str
        Repeated at the foot of every PDF page (with the page number).
    blocks : list of Block
    """

    title: str
    subtitle: str
    footer: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def text(self) -> str:
        """All text of the report, in order (for tests and search)."""
        parts = [self.title, self.subtitle]
        for block in self.blocks:
            match block:
                case Heading(text=text) | Paragraph(text=text):
                    parts.append(text)
                case KeyValues(rows=rows):
                    parts.extend(f"{k}: {v}" for k, v in rows)
                case Table(columns=columns, rows=rows):
                    parts.append(" | ".join(columns))
                    parts.extend(" | ".join(row) for row in rows)
        return "\n".join(parts)
