"""Every message the QuickScale CLI prints goes through this module.

Levels are marked with a symbol and, on a terminal only, a colour. Errors always carry a hint
saying what to do next. Steps that may take more than a second show progress.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TextIO


class Level(Enum):
    SUCCESS = ("✓", "32")
    INFO = ("•", "36")
    WARNING = ("!", "33")
    ERROR = ("✗", "31")

    def __init__(self, symbol: str, colour: str) -> None:
        self.symbol = symbol
        self.colour = colour


HINT_PREFIX = "→ "


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Console:
    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr

    def _paint(self, text: str, colour: str, stream: TextIO) -> str:
        return f"\033[{colour}m{text}\033[0m" if use_colour(stream) else text

    def _emit(self, level: Level, text: str, stream: TextIO) -> None:
        symbol = self._paint(level.symbol, level.colour, stream)
        stream.write(f"{symbol} {text}\n")
        stream.flush()

    def success(self, text: str) -> None:
        self._emit(Level.SUCCESS, text, self.out)

    def info(self, text: str) -> None:
        self._emit(Level.INFO, text, self.out)

    def warning(self, text: str) -> None:
        self._emit(Level.WARNING, text, self.err)

    def error(self, text: str, *, hint: str) -> None:
        self._emit(Level.ERROR, text, self.err)
        self.err.write(f"  {self._paint(HINT_PREFIX + hint, '2', self.err)}\n")
        self.err.flush()

    def plain(self, text: str) -> None:
        self.out.write(f"{text}\n")
        self.out.flush()

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        """Announce a step before it runs and report how long it took once it is done."""
        self._emit(Level.INFO, f"{text}…", self.out)
        started = time.monotonic()
        yield
        self.success(f"{text} ({time.monotonic() - started:.1f}s)")
