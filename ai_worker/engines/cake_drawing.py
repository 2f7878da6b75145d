"""Drawing a :class:`CakeSpec` with Pillow: tiers, frosting drips, toppings, a message."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ai_worker.engines.cake_prompt import CakeSpec, Colour

SIZE = 512
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
Box = tuple[int, int, int, int]


def draw_cake(spec: CakeSpec, seed: int, font_path: str | None = None) -> Image.Image:
    """A 512×512 picture of the cake ``spec`` describes; ``seed`` places the sprinkles."""
    image = Image.new("RGB", (SIZE, SIZE), (253, 246, 236))
    draw = ImageDraw.Draw(image)
    rng = random.Random(seed)
    draw.ellipse((40, 400, 472, 480), fill=(225, 225, 232), outline=(190, 190, 200), width=3)
    tops = _draw_tiers(draw, spec)
    top = tops[-1]
    for name in sorted(spec.toppings):
        _TOPPING_PAINTERS[name](draw, top, rng)
    if spec.message:
        _write(draw, tops[0], spec, font_path)
    return image


def _draw_tiers(draw: ImageDraw.ImageDraw, spec: CakeSpec) -> list[Box]:
    """Draw the tiers bottom up; return each tier's top ellipse."""
    tops: list[Box] = []
    bottom = 440
    height = min(110, 300 // spec.layers)
    for index in range(spec.layers):
        half = 190 - index * (130 // max(spec.layers - 1, 1)) if spec.layers > 1 else 170
        left, right, top = 256 - half, 256 + half, bottom - height
        shade = _darker(spec.frosting, 0.82)
        draw.ellipse((left, bottom - 22, right, bottom + 22), fill=shade)
        draw.rectangle((left, top, right, bottom), fill=spec.frosting)
        draw.line((left, top, left, bottom), fill=shade, width=3)
        draw.line((right, top, right, bottom), fill=shade, width=3)
        _drips(draw, left, right, top, spec.accent)
        ellipse = (left, top - 22, right, top + 22)
        draw.ellipse(ellipse, fill=_lighter(spec.frosting, 0.25), outline=shade, width=2)
        tops.append(ellipse)
        bottom = top + 6
    return tops


def _drips(draw: ImageDraw.ImageDraw, left: int, right: int, top: int, colour: Colour) -> None:
    step = 24
    for x in range(left + 6, right - 12, step):
        length = 14 + (x * 7) % 18
        draw.rounded_rectangle((x, top, x + 12, top + length), radius=6, fill=colour)
    draw.rectangle((left, top - 2, right, top + 8), fill=colour)


def _spots(top: Box, rng: random.Random, count: int) -> list[tuple[int, int]]:
    left, upper, right, lower = top
    cx, cy = (left + right) / 2, (upper + lower) / 2
    rx, ry = (right - left) / 2 - 18, (lower - upper) / 2 - 6
    return [
        (int(cx + rx * (2 * i / max(count - 1, 1) - 1)), int(cy + rng.uniform(-ry, ry) * 0.6))
        for i in range(count)
    ]


def _strawberries(draw: ImageDraw.ImageDraw, top: Box, rng: random.Random) -> None:
    for x, y in _spots(top, rng, 6):
        draw.polygon([(x - 13, y - 14), (x + 13, y - 14), (x, y + 16)], fill=(220, 30, 50))
        draw.ellipse((x - 13, y - 22, x + 13, y - 4), fill=(220, 30, 50))
        draw.polygon([(x - 9, y - 22), (x, y - 30), (x + 9, y - 22)], fill=(40, 150, 60))
        for dx, dy in ((-5, -12), (4, -8), (0, 0)):
            draw.point((x + dx, y + dy), fill=(250, 230, 120))


def _chocolate(draw: ImageDraw.ImageDraw, top: Box, rng: random.Random) -> None:
    left, upper, right, lower = top
    for i in range(5):
        y = upper + 8 + i * (lower - upper - 16) // 4
        draw.line(
            [(left + 30, y), (right - 30, y + rng.randint(-6, 6))], fill=(70, 35, 15), width=5
        )
    for x, y in _spots(top, rng, 5):
        draw.rectangle((x - 9, y - 9, x + 9, y + 5), fill=(85, 45, 20), outline=(50, 25, 10))


def _berries(colour: Colour, radius: int, count: int) -> Callable[..., None]:
    def paint(draw: ImageDraw.ImageDraw, top: Box, rng: random.Random) -> None:
        for x, y in _spots(top, rng, count):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
            draw.ellipse((x - 3, y - radius + 2, x + 2, y - radius + 6), fill=(255, 255, 255))
            if colour[0] > 150:  # cherries have stems
                draw.line([(x, y - radius), (x + 6, y - radius - 16)], fill=(60, 110, 40), width=3)

    return paint


def _candles(draw: ImageDraw.ImageDraw, top: Box, rng: random.Random) -> None:
    for x, y in _spots(top, rng, 5):
        draw.rectangle((x - 4, y - 48, x + 4, y), fill=(120, 180, 240), outline=(80, 120, 200))
        draw.ellipse((x - 6, y - 66, x + 6, y - 48), fill=(255, 190, 40))
        draw.ellipse((x - 3, y - 60, x + 3, y - 51), fill=(255, 240, 180))


def _sprinkles(draw: ImageDraw.ImageDraw, top: Box, rng: random.Random) -> None:
    left, upper, right, lower = top
    palette = [(240, 80, 80), (80, 180, 240), (250, 210, 60), (120, 200, 120), (230, 120, 220)]
    for _ in range(70):
        x, y = rng.randint(left + 20, right - 20), rng.randint(upper + 6, lower - 6)
        dx, dy = rng.choice(((6, 2), (2, 6), (5, -4)))
        draw.line([(x, y), (x + dx, y + dy)], fill=rng.choice(palette), width=3)


def _flowers(draw: ImageDraw.ImageDraw, top: Box, rng: random.Random) -> None:
    for x, y in _spots(top, rng, 4):
        for dx, dy in ((0, -9), (9, 0), (0, 9), (-9, 0)):
            draw.ellipse((x + dx - 7, y + dy - 7, x + dx + 7, y + dy + 7), fill=(250, 120, 160))
        draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=(255, 220, 80))


def _hearts(draw: ImageDraw.ImageDraw, top: Box, rng: random.Random) -> None:
    for x, y in _spots(top, rng, 4):
        draw.ellipse((x - 12, y - 12, x, y), fill=(220, 20, 60))
        draw.ellipse((x, y - 12, x + 12, y), fill=(220, 20, 60))
        draw.polygon([(x - 12, y - 6), (x + 12, y - 6), (x, y + 12)], fill=(220, 20, 60))


def _stars(draw: ImageDraw.ImageDraw, top: Box, rng: random.Random) -> None:
    for x, y in _spots(top, rng, 4):
        points = []
        for i in range(10):
            radius = 14 if i % 2 == 0 else 6
            angle = i * math.pi / 5 - math.pi / 2
            points.append((x + radius * math.cos(angle), y - 10 + radius * math.sin(angle)))
        draw.polygon(points, fill=(250, 200, 40), outline=(200, 150, 20))


_TOPPING_PAINTERS: dict[str, Callable[[ImageDraw.ImageDraw, Box, random.Random], None]] = {
    "strawberries": _strawberries,
    "chocolate": _chocolate,
    "blueberries": _berries((50, 60, 140), 8, 8),
    "cherries": _berries((190, 10, 40), 10, 5),
    "candles": _candles,
    "sprinkles": _sprinkles,
    "flowers": _flowers,
    "hearts": _hearts,
    "stars": _stars,
}


def _write(
    draw: ImageDraw.ImageDraw, bottom_top: Box, spec: CakeSpec, font_path: str | None
) -> None:
    """The message on a plaque across the bottom tier's front."""
    message = spec.message or ""
    font = _font(font_path, 30)
    left, _, right, lower = bottom_top
    width = int(draw.textlength(message, font=font))
    if width > right - left - 40:
        font = _font(font_path, max(12, 30 * (right - left - 40) // width))
        width = int(draw.textlength(message, font=font))
    y = lower + 40
    draw.rounded_rectangle((256 - width // 2 - 14, y - 8, 256 + width // 2 + 14, y + 40), radius=10,
                           fill=(255, 255, 255), outline=spec.accent, width=3)  # fmt: skip
    draw.text((256, y + 16), message, font=font, fill=_darker(spec.accent, 0.6), anchor="mm")


def _font(font_path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in (font_path, *_FONT_CANDIDATES):
        if candidate and Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def _darker(colour: Colour, factor: float) -> Colour:
    r, g, b = colour
    return (int(r * factor), int(g * factor), int(b * factor))


def _lighter(colour: Colour, amount: float) -> Colour:
    r, g, b = colour
    return (int(r + (255 - r) * amount), int(g + (255 - g) * amount), int(b + (255 - b) * amount))
