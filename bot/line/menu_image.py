"""The 一時保育 rich menu's image, one per language: drawn with Pillow in a Japanese font
found on this machine (fontconfig's `fc-list :lang=ja`; Debian's fonts-noto-cjk or
fonts-ipafont; it has Latin letters too), one coloured area per item with its label
(English broken between words), and the back strip with an arrow and its label.
"""

from __future__ import annotations

import io
import itertools
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bot.line.menu_layout import HEIGHTS, WIDTH, Area, MenuError, back_strip, layout, rich_menu
from domain.config import AppConfig, MenuBack

MAX_IMAGE_BYTES = 1024 * 1024
GAP = 16  # pixels between areas, and around them
FONT_DIR = Path("/usr/share/fonts")
FONT_GLOBS = ("NotoSansCJK-Bold.ttc", "NotoSansCJK*.ttc", "NotoSansJP*", "ipag*.ttf", "ipa*.ttf")


def find_font(explicit: str | None = None) -> Path:
    """A font file with Japanese glyphs: `explicit`, else fontconfig's choice, else a known
    Debian path. MenuError naming the package to install when there is none."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise MenuError(f"font {explicit} does not exist")
        return path
    found = _fontconfig_japanese()
    if not found:
        for pattern in FONT_GLOBS:
            found = sorted(str(p) for p in FONT_DIR.rglob(pattern))
            if found:
                break
    if not found:
        raise MenuError(
            "no Japanese font found: install fonts-noto-cjk (apt-get install fonts-noto-cjk, "
            "as scripts/_browser.sh does) or fonts-ipafont, or pass --font FILE"
        )
    return Path(found[0])


def _fontconfig_japanese() -> list[str]:
    """Files of fonts covering Japanese, bold sans ones first."""
    if shutil.which("fc-list") is None:
        return []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=ja", "file", "style"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = {line.split(":")[0].strip(): line for line in out.splitlines() if line.strip()}

    def rank(path: str) -> tuple[int, int, str]:
        name, style = Path(path).name.lower(), files[path].lower()
        sans = 0 if ("sans" in name or "gothic" in name or name.startswith("ipag")) else 1
        return (sans, 0 if "bold" in style or "bold" in name else 1, path)

    return sorted((f for f in files if Path(f).is_file()), key=rank)


def _wrap(text: str, lines: int) -> list[str]:
    """`text` cut into `lines` pieces of nearly equal length."""
    size = math.ceil(len(text) / lines)
    return [text[i : i + size] for i in range(0, len(text), size)]


def _words(text: str, lines: int) -> list[str]:
    """`text` broken between words into `lines` lines, the longest as short as can be."""
    words = text.split()
    splits = itertools.combinations(range(1, len(words)), lines - 1)
    ways = [
        [" ".join(words[a:b]) for a, b in zip((0, *cut), (*cut, len(words)), strict=True)]
        for cut in splits
    ]
    return min(ways, key=lambda ls: max(len(line) for line in ls), default=[text])


def _choices(text: str) -> list[list[str]]:
    """Ways to break `text` into lines: as written when it has line breaks, else between
    words when it has spaces (English), else evenly (Japanese)."""
    if "\n" in text:
        return [text.split("\n")]
    if " " in text.strip():
        return [_words(text, n) for n in range(1, min(4, len(text.split())) + 1)]
    return [_wrap(text, n) for n in range(1, 5)]


def _fits(pen: ImageDraw.ImageDraw, font: Any, lines: list[str], box: tuple[int, int]) -> bool:
    widest = max(pen.textlength(line, font=font) for line in lines)
    return widest <= box[0] and len(lines) * font.size * 1.3 <= box[1]


def _lines_at(
    pen: ImageDraw.ImageDraw, font: Any, text: str, box: tuple[int, int]
) -> list[str] | None:
    """The fewest lines `text` fits the box in at this font size; None if it does not fit."""
    return next((ls for ls in _choices(text) if _fits(pen, font, ls, box)), None)


def rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def draw(config: AppConfig, font_path: Path) -> bytes:
    """The menu image as PNG bytes: the back strip, if any, then the items, every item label
    in one font size, the largest at which all fit (MenuError if the image is over LINE's
    1 MB)."""
    menu = rich_menu(config)
    image = Image.new("RGB", (WIDTH, HEIGHTS[menu.size]), rgb(menu.background))
    pen = ImageDraw.Draw(image)
    areas = layout(menu)
    boxes = [(int((a.width - 2 * GAP) * 0.86), int((a.height - 2 * GAP) * 0.8)) for a in areas]
    texts = [item.image_text or item.label for item in menu.items]
    for size in range(160, 19, -4):
        font = ImageFont.truetype(str(font_path), size)
        wrapped = [_lines_at(pen, font, t, box) for t, box in zip(texts, boxes, strict=True)]
        if all(w is not None for w in wrapped):
            break
    else:
        raise MenuError("a menu label is too long to be drawn legibly; shorten it")
    for item, a, lines in zip(menu.items, areas, wrapped, strict=True):
        box = (a.x + GAP, a.y + GAP, a.x + a.width - GAP - 1, a.y + a.height - GAP - 1)
        pen.rounded_rectangle(box, radius=40, fill=rgb(item.color))
        pen.multiline_text(
            (a.x + a.width / 2, a.y + a.height / 2),
            "\n".join(lines or []),
            font=font,
            fill=rgb(item.text_color),
            anchor="mm",
            align="center",
            spacing=int(size * 0.3),
        )
    strip = back_strip(menu)
    if strip is not None and menu.back is not None:
        _draw_back(pen, strip, menu.back.label, menu.back, font_path)
    out = io.BytesIO()
    image.save(out, format="PNG")
    data = out.getvalue()
    if len(data) > MAX_IMAGE_BYTES:
        raise MenuError(f"the image is {len(data)} bytes, over LINE's 1 MB")
    return data


def _draw_back(
    pen: ImageDraw.ImageDraw, strip: Area, label: str, back: MenuBack, font_path: Path
) -> None:
    """The back strip: filled edge to edge in its colour, a left-pointing arrow and the label
    after it, at the left as a way back reads, in one line as large as fits."""
    pen.rectangle((strip.x, strip.y, strip.width - 1, strip.height - 1), fill=rgb(back.color))
    margin = strip.height // 3
    for size in range(int(strip.height * 0.4), 19, -2):
        font = ImageFont.truetype(str(font_path), size)
        arrow = int(size * 0.6)  # width of the arrow; a gap of half a character after it
        if margin + arrow + size // 2 + pen.textlength(label, font=font) <= strip.width - margin:
            break
    else:
        raise MenuError("rich_menu.back.label is too long to be drawn legibly; shorten it")
    middle = strip.y + strip.height / 2
    left = strip.x + margin
    half = size * 0.38
    pen.polygon(
        [(left, middle), (left + arrow, middle - half), (left + arrow, middle + half)],
        fill=rgb(back.text_color),
    )
    pen.text(
        (left + arrow + size // 2, middle),
        label,
        font=font,
        fill=rgb(back.text_color),
        anchor="lm",
    )
