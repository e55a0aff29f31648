"""Placeholder product images the shop draws itself, so a fresh install shows pictures offline.

Each product has one picture in two renditions: SVG (`/images/<sku>.svg`, sharp at any size) and
PNG (`/images/<sku>.png`). Product URLs point at the PNG, because Messenger and WhatsApp fetch the
picture themselves and show no SVG; browsers show either. The PNG is drawn with Pillow's bundled
font (nothing is downloaded) once per product wording and kept in memory.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from html import escape

from PIL import Image, ImageDraw, ImageFont

SIZE = 600  # square: Messenger's generic template is asked for "square" pictures
_PALETTE = {
    "electronics": ("#1f3b57", "#5fa8d3"), "grocery": ("#2d5016", "#8cc152"),
    "fashion": ("#6b2d5c", "#e88fbf"), "sports": ("#7a3e00", "#f6a04d"),
    "home": ("#4a3b2a", "#c9a87c"), "beauty": ("#6d2c3a", "#f2a7b5"), "pets": ("#3b4a2a", "#b7cf7a"),
}
_MAX_LINES, _LINE_CHARACTERS, _LINE_HEIGHT, _NAME_SIZE, _SKU_SIZE = 3, 18, 48, 40, 22
_CIRCLE_OPACITY, _SKU_OPACITY = 0.35, 0.8
# Renditions kept in memory, keyed by what is drawn: a renamed product gets a new one. A PNG is about
# 10 KB, so a full cache holds about 20 MB.
PNG_CACHE_SIZE = 2048


def image_url(base_url: str, sku: str) -> str:
    """The URL of a product's picture: the PNG, which every channel can show."""
    return f"{base_url}/images/{sku}.png"


def _colours(department: str, sku: str) -> tuple[str, str]:
    return _PALETTE.get(department) or _fallback(sku)


def _name_lines(name: str) -> list[str]:
    """The product name wrapped onto at most three lines; a longer one ends with an ellipsis."""
    lines, current = [], ""
    for word in name.split():
        if len(current) + len(word) > _LINE_CHARACTERS and current:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    if len(lines) > _MAX_LINES:
        lines = lines[:_MAX_LINES]
        lines[-1] += " …"
    return lines


def _line_y(index: int, count: int) -> float:
    return SIZE / 2 + (index - (count - 1) / 2) * _LINE_HEIGHT


def placeholder_svg(name: str, department: str, sku: str) -> str:
    dark, light = _colours(department, sku)
    lines = _name_lines(name)
    text = "".join(
        f'<text x="300" y="{_line_y(i, len(lines)):.0f}" font-size="{_NAME_SIZE}" '
        f'text-anchor="middle" fill="#fff" font-family="sans-serif">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}">'
        f'<rect width="{SIZE}" height="{SIZE}" fill="{dark}"/><circle cx="300" cy="300" r="230" fill="{light}" '
        f'opacity="{_CIRCLE_OPACITY}"/>{text}<text x="300" y="560" font-size="{_SKU_SIZE}" text-anchor="middle" '
        f'fill="#fff" opacity="{_SKU_OPACITY}" font-family="monospace">{escape(sku)}</text></svg>'
    )


@lru_cache(maxsize=PNG_CACHE_SIZE)
def placeholder_png(name: str, department: str, sku: str) -> bytes:
    """The same picture as `placeholder_svg`, as PNG bytes; drawn once per (name, department, sku)."""
    dark, light = (_rgb(colour) for colour in _colours(department, sku))
    white = (255, 255, 255)
    image = Image.new("RGB", (SIZE, SIZE), dark)
    draw = ImageDraw.Draw(image)
    draw.ellipse((70, 70, 530, 530), fill=_blend(light, dark, _CIRCLE_OPACITY))
    lines = _name_lines(name)
    font = ImageFont.load_default(size=_NAME_SIZE)
    widest = max(draw.textlength(line, font=font) for line in lines)
    if widest > SIZE - 60:  # one long word: smaller letters rather than a name cut at the edges
        font = ImageFont.load_default(size=max(12, int(_NAME_SIZE * (SIZE - 60) / widest)))
    for index, line in enumerate(lines):
        draw.text((SIZE / 2, _line_y(index, len(lines))), line, fill=white, font=font, anchor="ms")
    draw.text((SIZE / 2, 560), sku, fill=_blend(white, dark, _SKU_OPACITY),
              font=ImageFont.load_default(size=_SKU_SIZE), anchor="ms")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def etag(content: bytes) -> str:
    """A strong validator for a rendition: the same bytes, the same tag."""
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _blend(top: tuple[int, int, int], bottom: tuple[int, int, int], opacity: float) -> tuple[int, int, int]:
    """`top` painted over `bottom` at `opacity`, as the SVG's opacity attribute paints it."""
    r, g, b = (round(t * opacity + u * (1 - opacity)) for t, u in zip(top, bottom, strict=True))
    return r, g, b


def _fallback(sku: str) -> tuple[str, str]:
    digest = hashlib.sha1(sku.encode(), usedforsecurity=False).hexdigest()
    return f"#{digest[:6]}", f"#{digest[6:12]}"
