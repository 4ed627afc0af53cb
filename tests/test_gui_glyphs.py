"""Every character the window's texts use beyond ASCII (arrows, ▸, ·, ‖∂L/∂h_t‖, ⚠ ...) has a font to draw it
with: the pause sign U+23F8 has none among the common Linux fonts and showed as an empty box in the paused
banner under a fresh Xvfb."""
from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QFontDatabase, QRawFont

GUI = Path(__file__).resolve().parent.parent / "gui"


def _string_characters() -> dict[str, str]:
    """Each non-ASCII character of a string literal in gui/, with the first file that uses it."""
    found: dict[str, str] = {}
    for path in sorted(GUI.rglob("*.py")):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for token in tokens:
            if token.type == tokenize.STRING:
                for ch in token.string:
                    if ord(ch) > 127:
                        found.setdefault(ch, path.name)
    return found


def test_every_character_of_the_windows_texts_has_a_font(qapp):
    families = QFontDatabase.families()
    if "DejaVu Sans" not in families:
        pytest.skip("the DejaVu fonts, which stand for a fresh Linux desktop's, are not installed here")
    dejavu = QRawFont.fromFont(QFont("DejaVu Sans"))
    rare = {ch: where for ch, where in _string_characters().items() if not dejavu.supportsCharacter(ord(ch))}
    fonts = [QRawFont.fromFont(QFont(family)) for family in families] if rare else []  # Qt falls back to any
    missing = {ch: where for ch, where in rare.items() if not any(font.supportsCharacter(ord(ch)) for font in fonts)}
    assert not missing, "no installed font draws " + ", ".join(
        f"U+{ord(ch):04X} {ch!r} (in {where})" for ch, where in missing.items())
