"""Placeholder product images the shop serves itself, so a fresh install shows pictures offline."""

from __future__ import annotations

import hashlib
from html import escape

_PALETTE = {
    "electronics": ("#1f3b57", "#5fa8d3"), "grocery": ("#2d5016", "#8cc152"),
    "fashion": ("#6b2d5c", "#e88fbf"), "sports": ("#7a3e00", "#f6a04d"),
    "home": ("#4a3b2a", "#c9a87c"), "beauty": ("#6d2c3a", "#f2a7b5"), "pets": ("#3b4a2a", "#b7cf7a"),
}


def image_url(base_url: str, sku: str) -> str:
    return f"{base_url}/images/{sku}.svg"


def placeholder_svg(name: str, department: str, sku: str) -> str:
    dark, light = _PALETTE.get(department) or _fallback(sku)
    words = name.split()
    lines, current = [], ""
    for word in words:  # wrap the product name onto at most three lines
        if len(current) + len(word) > 18 and current:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    text = "".join(
        f'<text x="300" y="{300 + (i - (len(lines[:3]) - 1) / 2) * 48:.0f}" font-size="40" '
        f'text-anchor="middle" fill="#fff" font-family="sans-serif">{escape(line)}</text>'
        for i, line in enumerate(lines[:3])
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600">'
        f'<rect width="600" height="600" fill="{dark}"/><circle cx="300" cy="300" r="230" fill="{light}" '
        f'opacity="0.35"/>{text}<text x="300" y="560" font-size="22" text-anchor="middle" fill="#fff" '
        f'opacity="0.8" font-family="monospace">{escape(sku)}</text></svg>'
    )


def _fallback(sku: str) -> tuple[str, str]:
    digest = hashlib.sha1(sku.encode(), usedforsecurity=False).hexdigest()
    return f"#{digest[:6]}", f"#{digest[6:12]}"
