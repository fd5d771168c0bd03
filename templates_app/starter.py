"""The eight starter templates, with reference images drawn here (nothing is downloaded).
Two use Noto Serif CJK; the others Noto Sans CJK (both come with fonts-noto-cjk)."""

import io
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw, ImageFilter

from templates_app.models import SlideTemplate

SIZE = (1536, 864)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def _gradient(top: str, bottom: str) -> Image.Image:
    start, end = _rgb(top), _rgb(bottom)
    column = Image.new("RGB", (1, SIZE[1]))
    for y in range(SIZE[1]):
        t = y / (SIZE[1] - 1)
        column.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
        )
    return column.resize(SIZE)


def _business(palette: list[str]) -> Image.Image:
    image = _gradient(palette[0], "#e9eef5")
    draw = ImageDraw.Draw(image)
    draw.polygon([(1000, 0), (1536, 0), (1536, 864), (1250, 864)], fill=palette[1])
    draw.polygon([(1180, 0), (1260, 0), (1480, 864), (1400, 864)], fill=palette[2])
    draw.rectangle([0, 820, 1536, 864], fill=palette[1])
    return image


def _tech(palette: list[str]) -> Image.Image:
    image = _gradient(palette[0], "#111827")
    draw = ImageDraw.Draw(image)
    for x in range(0, SIZE[0], 64):
        draw.line([(x, 0), (x, SIZE[1])], fill="#1c2a44", width=1)
    for y in range(0, SIZE[1], 64):
        draw.line([(0, y), (SIZE[0], y)], fill="#1c2a44", width=1)
    for i, (x, y, r) in enumerate([(1250, 200, 140), (1380, 620, 90), (180, 720, 60)]):
        colour = palette[1] if i % 2 == 0 else palette[2]
        draw.ellipse([x - r, y - r, x + r, y + r], outline=colour, width=6)
    glow = Image.new("RGB", SIZE, "black")
    ImageDraw.Draw(glow).ellipse([1050, 0, 1536, 420], fill=palette[1])
    return Image.blend(image, glow.filter(ImageFilter.GaussianBlur(120)), 0.25)


def _education(palette: list[str]) -> Image.Image:
    image = Image.new("RGB", SIZE, palette[0])
    draw = ImageDraw.Draw(image)
    for i, colour in enumerate([palette[1], palette[2], "#f4c95d", palette[1]]):
        x = 1160 + i * 90
        draw.rounded_rectangle([x, 540 - i * 70, x + 70, 864], radius=18, fill=colour)
    draw.ellipse([-160, -160, 260, 260], fill=palette[2])
    draw.ellipse([-60, -60, 160, 160], fill=palette[0])
    return image


def _minimal(palette: list[str]) -> Image.Image:
    image = Image.new("RGB", SIZE, palette[0])
    draw = ImageDraw.Draw(image)
    draw.rectangle([96, 96, 104, 768], fill=palette[2])
    draw.line([(96, 780), (1440, 780)], fill=palette[4], width=2)
    return image


def _nature(palette: list[str]) -> Image.Image:
    image = _gradient(palette[0], "#e3ecdc")
    draw = ImageDraw.Draw(image)
    for cx, cy, rx, ry, colour in (
        (1460, 80, 330, 210, palette[1]),
        (1330, 150, 200, 120, "#5d8a5f"),
        (80, 820, 300, 190, "#5d8a5f"),
        (1480, 820, 160, 100, palette[2]),
    ):
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=colour)
    return image.filter(ImageFilter.GaussianBlur(2))


def _elegant(palette: list[str]) -> Image.Image:
    image = _gradient(palette[0], "#111016")
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 40, SIZE[0] - 40, SIZE[1] - 40], outline=palette[1], width=2)
    draw.rectangle([56, 56, SIZE[0] - 56, SIZE[1] - 56], outline="#6d5b3a", width=1)
    for x, y in ((40, 40), (SIZE[0] - 40, 40), (40, SIZE[1] - 40), (SIZE[0] - 40, SIZE[1] - 40)):
        draw.regular_polygon((x, y, 14), 4, rotation=45, fill=palette[1])
    return image


def _academic(palette: list[str]) -> Image.Image:
    image = Image.new("RGB", SIZE, palette[0])
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, SIZE[0], 28], fill=palette[1])
    draw.rectangle([0, 28, SIZE[0], 34], fill=palette[2])
    for y in range(120, SIZE[1] - 40, 48):
        draw.line([(1300, y), (1480, y)], fill="#e4ddd0", width=2)
    draw.ellipse([1310, 640, 1470, 800], outline=palette[1], width=4)
    return image


def _creative(palette: list[str]) -> Image.Image:
    image = _gradient("#ffe3d3", palette[0])
    draw = ImageDraw.Draw(image)
    draw.ellipse([1100, -200, 1700, 400], fill=palette[2])
    draw.ellipse([1250, 420, 1650, 820], fill=palette[1])
    draw.ellipse([-120, 600, 260, 980], fill="#ffb347")
    return image.filter(ImageFilter.GaussianBlur(3))


SANS = {"title": "Noto Sans CJK SC Bold", "body": "Noto Sans CJK SC"}
SERIF = {"title": "Noto Serif CJK SC Bold", "body": "Noto Serif CJK SC"}

STARTERS: list[dict] = [
    {
        "slug": "business",
        "name": "Business Blue",
        "description": "Navy and orange, diagonal bands: reports, pitches, quarterly reviews.",
        "style": "corporate, flat, confident",
        "palette": ["#f7f9fc", "#1f3a5f", "#e07a24", "#1b2430", "#6b7280"],
        "recommended_for": ["business", "report", "pitch"],
        "prompt_hints": "Clean corporate look, navy titles, orange accents, generous whitespace.",
        "draw": _business,
    },
    {
        "slug": "tech",
        "name": "Tech Night",
        "description": "Dark grid with cyan and violet glows: engineering and product talks.",
        "style": "dark, futuristic, neon accents",
        "palette": ["#0b1220", "#38bdf8", "#a78bfa", "#e5e7eb", "#94a3b8"],
        "recommended_for": ["technology", "engineering", "product"],
        "prompt_hints": "Dark background, thin grid, cyan and violet highlights, crisp sans-serif type.",
        "draw": _tech,
    },
    {
        "slug": "education",
        "name": "Classroom",
        "description": "Warm cream with green and coral blocks: lessons and training.",
        "style": "friendly, warm, rounded shapes",
        "palette": ["#fffaf0", "#2f6f4f", "#e4572e", "#2d2a26", "#7a6f63"],
        "recommended_for": ["education", "lesson", "training"],
        "prompt_hints": "Friendly classroom style, rounded shapes, warm colours, clear hierarchy.",
        "draw": _education,
    },
    {
        "slug": "minimal",
        "name": "Minimal",
        "description": "White, one red rule, lots of air: keynotes and essays.",
        "style": "minimal, editorial, high contrast",
        "palette": ["#ffffff", "#111111", "#d62828", "#222222", "#9ca3af"],
        "recommended_for": ["keynote", "essay", "general"],
        "prompt_hints": "Minimal editorial layout, black type on white, a single red accent.",
        "draw": _minimal,
    },
    {
        "slug": "nature",
        "name": "Forest",
        "description": "Sage and moss with soft leaf shapes: sustainability, health, outdoors.",
        "style": "organic, calm, natural",
        "palette": ["#f3f7f0", "#2e5e3a", "#b7791f", "#1f2a1f", "#5f6f5a"],
        "recommended_for": ["sustainability", "health", "environment"],
        "prompt_hints": "Calm natural look, soft green leaf shapes in the corners, earthy accents.",
        "draw": _nature,
    },
    {
        "slug": "elegant",
        "name": "Ink & Gold",
        "description": "Charcoal with a fine gold frame and serif type: galas, luxury, culture.",
        "style": "dark, elegant, serif, gold lines",
        "palette": ["#1c1b22", "#e8c37a", "#d98a6a", "#f3efe6", "#b3ada2"],
        "recommended_for": ["luxury", "culture", "ceremony"],
        "prompt_hints": "Dark elegant layout, thin gold frame lines, serif headings, restrained.",
        "draw": _elegant,
        "fonts": SERIF,
    },
    {
        "slug": "academic",
        "name": "Scholar",
        "description": "Ivory paper, navy and crimson rules, serif type: lectures and research.",
        "style": "academic, printed, serif",
        "palette": ["#fbf8f1", "#23395d", "#9e2a2b", "#222222", "#6f6a60"],
        "recommended_for": ["research", "lecture", "thesis"],
        "prompt_hints": "Printed academic look on ivory paper, serif headings, navy and crimson.",
        "draw": _academic,
        "fonts": SERIF,
    },
    {
        "slug": "creative",
        "name": "Sunset Pop",
        "description": "Peach gradient with bold coral and plum circles: launches and workshops.",
        "style": "vivid, playful, bold circles",
        "palette": ["#fff4ec", "#7a2e8e", "#e8553a", "#2b1d33", "#7d6b84"],
        "recommended_for": ["marketing", "workshop", "launch"],
        "prompt_hints": "Vivid playful style, large soft circles in coral and plum, bold titles.",
        "draw": _creative,
    },
]


def _png(draw: Callable[[list[str]], Image.Image], palette: list[str]) -> bytes:
    buffer = io.BytesIO()
    draw(palette).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@transaction.atomic
def load_starter_templates() -> list[str]:
    """Create the starter templates that are missing; never touch ones staff already edited."""
    created = []
    for order, spec in enumerate(STARTERS):
        if SlideTemplate.objects.filter(slug=spec["slug"]).exists():
            continue
        fields = {k: v for k, v in spec.items() if k not in ("draw", "fonts")}
        template = SlideTemplate(**fields, order=order, fonts=dict(spec.get("fonts", SANS)))
        template.reference_image.save(
            f"{spec['slug']}.png", ContentFile(_png(spec["draw"], spec["palette"])), save=False
        )
        template.full_clean()
        template.save()
        created.append(spec["slug"])
    return created
