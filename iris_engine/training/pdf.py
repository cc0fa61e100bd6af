"""The printed certificate: one A4 page (fpdf2) with what a CPD certificate shows (DOMAIN.md)
and a QR code of its verification URL (segno). Text is shaped with HarfBuzz (uharfbuzz), and
Noto Sans falls back to its Devanagari, Arabic and Bengali companions, so a name in Nepali,
Hindi, Arabic, Urdu or Bangla prints as its bearer writes it. The fonts are subsets vendored in
``fonts/`` (SIL Open Font License, ``fonts/OFL.txt``)."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF

__all__ = ["FONTS", "PrintedCertificate", "render_certificate", "unprintable"]

log = logging.getLogger(__name__)

FONTS = Path(__file__).parent / "fonts"
_LATIN = "NotoSans"
#: tried in order for a character the Latin font lacks
_FALLBACKS = {"NotoSansDevanagari": "NotoSansDevanagari-Regular.ttf",
              "NotoSansArabic": "NotoSansArabic-Regular.ttf",
              "NotoSansBengali": "NotoSansBengali-Regular.ttf"}
_INK = (33, 37, 41)
_MUTED = (90, 98, 104)
_ALERT = (176, 0, 32)


@cache
def _covered() -> frozenset[int]:
    """Every code point some vendored font has a glyph for."""
    points: set[int] = set()
    for file in FONTS.glob("*.ttf"):
        points.update(TTFont(file).getBestCmap())
    return frozenset(points)


def unprintable(text: str) -> set[str]:
    """The characters of ``text`` no vendored font draws (they would print as empty boxes)."""
    covered = _covered()
    return {c for c in text if c.isprintable() and not c.isspace() and ord(c) not in covered}


@dataclass(frozen=True, slots=True)
class PrintedCertificate:
    number: str
    #: None once erased (records kept past retention keep what was certified, not to whom)
    learner_name: str | None
    course_title: str
    topics: tuple[str, ...]
    awarded_on: date
    cpd_hours: float
    provider_reference: str
    verification_url: str
    issuer_name: str
    valid_until: date | None = None
    revoked_on: date | None = None
    superseded_by: str | None = None


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _document(title: str) -> FPDF:
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font(_LATIN, "", FONTS / "NotoSans-Regular.ttf")
    pdf.add_font(_LATIN, "B", FONTS / "NotoSans-Bold.ttf")
    for family, file in _FALLBACKS.items():
        pdf.add_font(family, "", FONTS / file)
    pdf.set_fallback_fonts(list(_FALLBACKS), exact_match=False)
    pdf.set_text_shaping(True)
    pdf.set_title(title)
    pdf.set_creator("IRIS Engine")
    pdf.add_page()
    return pdf


def _line(pdf: FPDF, text: str, size: float, *, bold: bool = False,
          colour: tuple[int, int, int] = _INK, height: float | None = None) -> None:
    pdf.set_font(_LATIN, "B" if bold else "", size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, height or size * 0.55, text, align="C", new_x="LMARGIN", new_y="NEXT")


def _qr_png(url: str) -> io.BytesIO:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=4)
    out.seek(0)
    return out


def render_certificate(certificate: PrintedCertificate) -> bytes:
    """The certificate as a PDF file."""
    c = certificate
    if c.learner_name is not None and unprintable(c.learner_name):
        # never the name itself: only the code points a font is missing for
        points = sorted(f"U+{ord(ch):04X}" for ch in unprintable(c.learner_name))[:5]
        log.warning("certificate %s: the name has characters no vendored font draws (%s...); "
                    "they print as empty boxes", c.number, ", ".join(points))
    pdf = _document(f"Certificate {c.number}: {c.course_title}")
    pdf.set_draw_color(*_MUTED)
    pdf.set_line_width(0.8)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_y(22)
    _line(pdf, c.issuer_name, 12, colour=_MUTED)
    _line(pdf, "Certificate of CPD training", 28, bold=True, height=16)
    pdf.ln(2)
    _line(pdf, "This certifies that", 12, colour=_MUTED)
    if c.learner_name is None:
        _line(pdf, "(the learner's name was erased at the end of the retention period)", 14,
              colour=_MUTED, height=14)
    else:
        _line(pdf, c.learner_name, 26, height=15)
    _line(pdf, "completed", 12, colour=_MUTED)
    _line(pdf, c.course_title, 18, bold=True, height=10)
    pdf.ln(2)
    if c.topics:
        _line(pdf, "Topics: " + "; ".join(c.topics), 11)
    _line(pdf, f"Delivered on {_day(c.awarded_on)}  ·  {c.cpd_hours:g} CPD hours "
               "(1 point per hour of active learning, breaks excluded)", 11)
    _line(pdf, "Provider's CPD accreditation reference: " + (c.provider_reference or "none"), 11)
    if c.valid_until is not None:
        _line(pdf, f"Valid until {_day(c.valid_until)}", 11)
    if c.revoked_on is not None:
        replaced = f"; replaced by {c.superseded_by}" if c.superseded_by else ""
        _line(pdf, f"REVOKED on {_day(c.revoked_on)}{replaced}", 14, bold=True, colour=_ALERT,
              height=9)
    qr_size = 42.0
    top = pdf.h - 18 - qr_size
    pdf.image(_qr_png(c.verification_url), x=pdf.w - 18 - qr_size, y=top, w=qr_size, h=qr_size)
    pdf.set_xy(20, top + 8)
    pdf.set_font(_LATIN, "B", 13)
    pdf.set_text_color(*_INK)
    pdf.cell(0, 7, f"Certificate number {c.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.set_font(_LATIN, "", 9.5)
    pdf.set_text_color(*_MUTED)
    pdf.multi_cell(pdf.w - 40 - qr_size - 8, 5.5,
                   "Check that it is genuine and not revoked: scan the code or open\n"
                   + c.verification_url, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
