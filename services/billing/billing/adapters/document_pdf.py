"""The A4 page of the documents billing prints for people, invoices and credit notes (fpdf2, DejaVu Sans
embedded from billing/fonts/ so any Latin, Greek or Cyrillic name prints, and PDF/A can follow): the running title
and "Page n of N", the parties, facts blocks, the line table whose header repeats on every page, the totals box,
the tax by rate and treatment with its legal note. Figures come formatted from `document_format`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from babel import Locale
from fpdf import FPDF
from fpdf.fonts import FontFace, TTFFont

from billing.adapters.document_format import DocumentFormat

FONT_DIR = Path(__file__).resolve().parents[1] / "fonts"
FAMILY = "DejaVu"
MARGIN = 18.0
WIDTH = 210.0 - 2 * MARGIN  # the A4 text width, mm
TOP = 20.0
GREY = 110
RULE = 190
TABLE_SIZE = 8.5
FACTS_WIDTH = 84.0  # the seller block and the facts beside "Bill to", right-aligned with the text width
CELL_PADDING = (1.3, 1.2)  # mm: top and bottom, left and right
_COUNTRY_NAMES = Locale.parse("en").territories  # English names: the labels are English, and DejaVu has no CJK


class Fact(NamedTuple):
    """One row of a facts block: a grey label and its value (`size` points)."""

    label: str
    value: str
    size: float = 9


class DocumentPdf(FPDF):
    """An A4 page set in DejaVu Sans, with a running title from page 2 on and "Page n of N" in the footer."""

    def __init__(self, running_title: str, footer: str, fmt: DocumentFormat) -> None:
        super().__init__(format="A4", unit="mm")
        self.running_title, self.footer_text, self.fmt = running_title, footer, fmt
        self.parties_top = self.parties_bottom = TOP  # where the buyer block starts and ends (`parties`)
        self.add_font(FAMILY, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        regular = self.fonts[FAMILY.lower()]
        self.glyphs = set(regular.cmap) if isinstance(regular, TTFFont) else set()
        self.set_margins(MARGIN, TOP, MARGIN)
        self.set_auto_page_break(True, margin=20)
        self.set_draw_color(RULE)
        self.set_font(FAMILY, size=9)

    def fit(self, text: object) -> str:
        """The text with each character the font lacks replaced by its compatibility form when the font has
        that (the fullwidth yen of ja-JP becomes ¥); anything else is kept and shows as a missing glyph."""
        raw = "" if text is None else str(text)
        if all(ord(char) in self.glyphs for char in raw):
            return raw
        folded = []
        for char in raw:
            if ord(char) not in self.glyphs:
                compatible = unicodedata.normalize("NFKC", char)
                char = compatible if all(ord(c) in self.glyphs for c in compatible) else char
            folded.append(char)
        return "".join(folded)

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_xy(MARGIN, 9)
            self.set_font(FAMILY, size=8)
            self.set_text_color(GREY)
            self.cell(WIDTH, 4, self.fit(self.running_title), align="L")
            self.set_text_color(0)
            self.set_xy(MARGIN, TOP)

    def footer(self) -> None:
        self.set_xy(MARGIN, -14)
        self.set_font(FAMILY, size=7)
        self.set_text_color(GREY)
        self.cell(WIDTH - 30, 4, self.fit(self.footer_text), align="L")
        self.cell(30, 4, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0)

    # -- blocks ---------------------------------------------------------------------------------------------

    def text_block(self, x: float, width: float, lines: Sequence[tuple[str, str, float]]) -> float:
        """(text, style, size) lines from the current y at `x`, wrapped to `width`; returns the bottom y."""
        for text, style, size in lines:
            self.set_x(x)
            self.set_font(FAMILY, style, size)
            self.set_text_color(GREY if style == "" and size < 8.5 else 0)
            self.multi_cell(width, size * 0.48, self.fit(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        return float(self.get_y())

    def facts(self, x: float, rows: Sequence[Fact], label_width: float, width: float) -> float:
        """Label / value rows (values wrap under themselves) from the current y at `x`; returns the bottom y."""
        for label, value, size in rows:
            top = self.get_y()
            self.set_xy(x, top)
            self.set_font(FAMILY, size=8)
            self.set_text_color(GREY)
            self.multi_cell(label_width, 4.4, self.fit(label), align="L")
            self.set_text_color(0)
            self.set_font(FAMILY, size=size)
            self.set_xy(x + label_width, top)
            self.multi_cell(width - label_width, 4.4, self.fit(value), align="L", new_x="LMARGIN", new_y="NEXT")
        return float(self.get_y())

    def heading(self, text: str) -> None:
        self.ensure_room(14)
        self.ln(3)
        self.set_font(FAMILY, "B", 10)
        self.cell(WIDTH, 6, self.fit(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, size=9)

    def paragraph(self, text: str, size: float = 9) -> None:
        self.set_font(FAMILY, size=size)
        self.multi_cell(WIDTH, size * 0.5, self.fit(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def fits(self, text: str, width: float) -> bool:
        """Whether `text` fits on one line of a table cell `width` mm wide."""
        self.set_font(FAMILY, size=TABLE_SIZE)
        return bool(self.get_string_width(self.fit(text)) <= width - 2 * CELL_PADDING[1])

    def ensure_room(self, height: float) -> None:
        """Start a new page unless `height` mm fit above the bottom margin (keeps a block together)."""
        if self.will_page_break(height):
            self.add_page()

    def lines_table(self, headings: Sequence[str], widths: Sequence[float], rows: Sequence[Sequence[str]]) -> None:
        """The lines: the first column left-aligned and wrapping, the others right-aligned numbers; the header
        row repeats at the top of every page the table runs onto."""
        align = ("LEFT", *("RIGHT" for _ in widths[1:]))
        self.set_font(FAMILY, size=TABLE_SIZE)
        head = FontFace(emphasis="BOLD", fill_color=(236, 238, 241), size_pt=TABLE_SIZE)
        with self.table(
            col_widths=tuple(widths),
            width=WIDTH,
            text_align=align,
            v_align="TOP",
            borders_layout="HORIZONTAL_LINES",
            headings_style=head,
            line_height=4.2,
            padding=CELL_PADDING,
            repeat_headings=1,
        ) as table:
            header = table.row()
            for title, side in zip(headings, align, strict=True):
                header.cell(self.fit(title), align=side)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(self.fit(value))
        self.line(MARGIN, self.get_y(), MARGIN + WIDTH, self.get_y())  # closes the last row

    def amounts_box(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """Right-aligned label / amount rows (subtotal, tax, total), the bold ones with a rule above."""
        self.ensure_room(7 * len(rows) + 4)
        self.ln(2)
        label_width, value_width = 62.0, 38.0
        x = MARGIN + WIDTH - label_width - value_width
        for label, value, strong in rows:
            if strong:
                self.line(x, self.get_y(), MARGIN + WIDTH, self.get_y())
            self.set_x(x)
            self.set_font(FAMILY, "B" if strong else "", 10 if strong else 9)
            self.cell(label_width, 6, self.fit(label), align="L")
            self.cell(value_width, 6, self.fit(value), align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, size=9)

    def parties(self, title: str, number_line: str, seller: list[str], buyer: list[str], to: str = "Bill to") -> None:
        """The title and number at the top left, the seller at the top right, the buyer (`to`) below the title."""
        self.set_xy(MARGIN, TOP - 4)
        self.set_font(FAMILY, "B", 20)
        self.cell(100, 10, self.fit(title), new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "B", 11)
        self.cell(100, 6, self.fit(number_line), new_x="LMARGIN", new_y="NEXT")
        left_bottom = self.get_y()
        self.set_xy(MARGIN, TOP - 4)
        right_x, right_width = MARGIN + WIDTH - FACTS_WIDTH, FACTS_WIDTH  # in line with the facts below
        seller_bottom = self.text_block(right_x, right_width, _styled(seller)) if seller else TOP
        self.set_y(max(left_bottom, seller_bottom) + 5)
        self.line(MARGIN, self.get_y() - 2, MARGIN + WIDTH, self.get_y() - 2)
        self.parties_top = float(self.get_y())
        self.text_block(MARGIN, 90, [(to, "", 8), *_styled(buyer)])
        self.parties_bottom = float(self.get_y())

    def side_facts(self, rows: Sequence[Fact]) -> None:
        """The facts block beside "Bill to"; leaves y below whichever of the two ends lower."""
        self.set_y(self.parties_top)
        bottom = self.facts(MARGIN + WIDTH - FACTS_WIDTH, rows, 28, FACTS_WIDTH)
        self.set_y(max(bottom, self.parties_bottom) + 4)

    def side_by_side(self, left: Sequence[Fact], right: Sequence[Fact]) -> None:
        """Two facts blocks side by side from the current y (payment details); leaves y below both."""
        top = self.get_y()
        left_bottom = self.facts(MARGIN, left, 30, 96)
        self.set_y(top)
        right_bottom = self.facts(MARGIN + WIDTH - 72, right, 24, 72)
        self.set_y(max(left_bottom, right_bottom))

    def finish(self, title: str, author: str, subject: str, on: date) -> bytes:
        self.set_title(title)
        self.set_author(author)
        self.set_subject(subject)
        self.set_creator("BSS billing")
        self.set_lang(self.fmt.tag)
        self.set_creation_date(datetime(on.year, on.month, on.day, tzinfo=UTC))
        return bytes(self.output())


def _styled(lines: list[str]) -> list[tuple[str, str, float]]:
    """The first line (a legal name) bold, the rest regular."""
    return [(line, "B" if index == 0 else "", 10 if index == 0 else 9) for index, line in enumerate(lines)]


def footer_line(seller: dict[str, Any], fallback: str) -> str:
    vat_id = f"VAT id {seller['vat_id']}" if seller.get("vat_id") else ""
    return " · ".join(part for part in (seller.get("legal_name") or "", vat_id) if part) or fallback


def country_name(code: str | None) -> str:
    return "" if not code else str(_COUNTRY_NAMES.get(code, code))


def seller_lines(seller: dict[str, Any] | None) -> list[str]:
    if not seller:
        return []
    lines = [seller.get("legal_name") or "", *(seller.get("address_lines") or [])]
    lines.append(country_name(seller.get("country")))
    if seller.get("vat_id"):
        lines.append(f"VAT id {seller['vat_id']}")
    return [line for line in lines if line]


def address_lines(address: dict[str, Any] | None) -> list[str]:
    """A postal address as printed: street lines, then the city line in the country's order, then the country."""
    if not address:
        return []
    city, postal, region = address.get("city") or "", address.get("postal_code") or "", address.get("region") or ""
    country = address.get("country") or ""
    if country in ("US", "CA", "AU"):
        city_lines = [", ".join(part for part in (city, f"{region} {postal}".strip()) if part)]
    else:
        city_lines = [" ".join(part for part in (postal, city) if part), region]
    return [line for line in (*(address.get("lines") or []), *city_lines, country_name(country)) if line]


def buyer_lines(document: dict[str, Any], legal_name: str | None) -> list[str]:
    buyer = document.get("buyer") or {}
    name = buyer.get("legal_name") or legal_name or f"Reseller {document.get('reseller_id', '')}".strip()
    lines = [name, *address_lines(buyer.get("billing_address"))]
    if buyer.get("vat_id"):
        lines.append(f"VAT id {buyer['vat_id']}")
    if buyer.get("billing_email"):
        lines.append(buyer["billing_email"])
    return lines


def iban_groups(iban: str) -> str:
    """An IBAN in groups of four, as printed on paper (DE89 3704 0044 0532 0130 00)."""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[index : index + 4] for index in range(0, len(compact), 4))


def last_day_of_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def tax_label(document: dict[str, Any], fmt: DocumentFormat) -> str:
    rate = fmt.percent(document.get("tax_rate") or "0")
    if document.get("tax_treatment") == "reverse_charge":
        return f"VAT {rate}, reverse charge"
    return f"Tax {rate}"


def tax_table(pdf: DocumentPdf, document: dict[str, Any], subtotal: str, tax: str) -> None:
    """The tax by rate and treatment (a document has one of each), then its legal note."""
    currency, fmt = document["currency"], pdf.fmt
    treatment = "Reverse charge" if document.get("tax_treatment") == "reverse_charge" else "Standard"
    pdf.heading("Tax")
    headings = ["Tax treatment", "Rate", f"Net ({currency})", f"Tax ({currency})"]
    row = [
        treatment,
        fmt.percent(document.get("tax_rate") or "0"),
        fmt.amount(subtotal, currency),
        fmt.amount(tax, currency),
    ]
    pdf.lines_table(headings, [70, 32, 36, 36], [row])
    if document.get("tax_note"):
        pdf.ln(1)
        pdf.paragraph(document["tax_note"])
