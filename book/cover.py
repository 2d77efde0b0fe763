"""The cover as a raster image, drawn at build time from the book's metadata.

E-readers show a raster cover in their library views. It repeats the PDF
cover's design (dark field, rust band, title, the owner -> value motif) so the
book looks the same on every shelf. Pillow writes no timestamps, so the same
metadata gives the same bytes.
"""

from __future__ import annotations

import io
import subprocess
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from book.model import BookMeta

WIDTH, HEIGHT = 1600, 2560
BACKGROUND = (30, 42, 56)
BAND = (183, 65, 14)
ACCENT = (240, 200, 168)
VALUE = (245, 230, 200)
WHITE = (255, 255, 255)
PALE = (223, 230, 238)


@lru_cache(maxsize=None)
def _font_file(pattern: str) -> str | None:
    try:
        path = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return path or None


def _font(pattern: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_file(pattern)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, max_width: int) -> list[str]:
    """Greedy line breaking by measured width, so long titles never touch the edge."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def cover_png(meta: BookMeta) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    margin = 140
    draw.rectangle((0, 0, WIDTH, 90), fill=BAND)
    draw.text((margin, 430), "A TUTORIAL IN TEN PARTS", font=_font("Inter:weight=600", 58), fill=ACCENT)
    y = 540
    title_font = _font("Inter:bold", 180)
    for line in _wrap(draw, meta.title, title_font, WIDTH - 2 * margin):
        draw.text((margin, y), line, font=title_font, fill=WHITE)
        y += 205
    y += 60
    subtitle_font = _font("Charis SIL", 70)
    for line in _wrap(draw, meta.subtitle, subtitle_font, WIDTH - 2 * margin - 200):
        draw.text((margin, y), line, font=subtitle_font, fill=PALE)
        y += 92
    box_font = _font("JetBrains Mono:bold", 78)
    top = max(y + 180, 1650)
    draw.rounded_rectangle((margin, top, margin + 420, top + 170), radius=18, outline=WHITE, width=8)
    draw.text((margin + 210, top + 85), "owner", font=box_font, fill=WHITE, anchor="mm")
    arrow_y = top + 85
    draw.line((margin + 460, arrow_y, margin + 640, arrow_y), fill=WHITE, width=10)
    draw.polygon([(margin + 640, arrow_y - 30), (margin + 690, arrow_y), (margin + 640, arrow_y + 30)], fill=WHITE)
    draw.rounded_rectangle((margin + 730, top, margin + 1150, top + 170), radius=18, fill=VALUE)
    draw.text((margin + 940, top + 85), "value", font=box_font, fill=BACKGROUND, anchor="mm")
    draw.text((margin, HEIGHT - 230), ", ".join(meta.authors), font=_font("Inter:weight=500", 60), fill=WHITE)
    out = io.BytesIO()
    image.save(out, format="PNG")  # optimize=True saves 3% of the size for 0.25 s on every EPUB build
    return out.getvalue()
