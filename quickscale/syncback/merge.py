"""A three-way merge of lines, as `diff3`/`git merge-file` do it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

CONFLICT_START = "<<<<<<< template\n"
CONFLICT_BASE = "||||||| generated\n"
CONFLICT_MIDDLE = "=======\n"
CONFLICT_END = ">>>>>>> project\n"


@dataclass(frozen=True)
class MergeResult:
    lines: list[str]
    conflicts: int

    @property
    def text(self) -> str:
        return "".join(self.lines)


def _sync_regions(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> list[tuple[int, int, int, int, int, int]]:
    """Regions where all three agree, as (base_start, base_end, ours_start, ours_end,
    theirs_start, theirs_end), ending with an empty sentinel region at the three ends."""
    ours_blocks = SequenceMatcher(None, base, ours, autojunk=False).get_matching_blocks()
    theirs_blocks = SequenceMatcher(None, base, theirs, autojunk=False).get_matching_blocks()
    regions = []
    i = j = 0
    while i < len(ours_blocks) and j < len(theirs_blocks):
        o_base, o_at, o_len = ours_blocks[i]
        t_base, t_at, t_len = theirs_blocks[j]
        start = max(o_base, t_base)
        end = min(o_base + o_len, t_base + t_len)
        if start < end:
            ours_start = o_at + start - o_base
            theirs_start = t_at + start - t_base
            regions.append(
                (
                    start,
                    end,
                    ours_start,
                    ours_start + end - start,
                    theirs_start,
                    theirs_start + end - start,
                )
            )
        if o_base + o_len < t_base + t_len:
            i += 1
        else:
            j += 1
    regions.append((len(base), len(base), len(ours), len(ours), len(theirs), len(theirs)))
    return regions


def merge3(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> MergeResult:
    """Merge `ours` (the template now) and `theirs` (the project's change) against `base`.

    Where only one side changed a region, that side wins; where both made the same change, it
    is taken once; where both changed it differently, the region is a conflict, marked in the
    output with both versions and the base.
    """
    out: list[str] = []
    conflicts = 0
    at_base = at_ours = at_theirs = 0
    for base_start, base_end, ours_start, ours_end, theirs_start, theirs_end in _sync_regions(
        base, ours, theirs
    ):
        base_part = list(base[at_base:base_start])
        ours_part = list(ours[at_ours:ours_start])
        theirs_part = list(theirs[at_theirs:theirs_start])
        if ours_part == theirs_part:
            out.extend(ours_part)
        elif ours_part == base_part:
            out.extend(theirs_part)
        elif theirs_part == base_part:
            out.extend(ours_part)
        else:
            conflicts += 1
            out.append(CONFLICT_START)
            out.extend(_terminated(ours_part))
            out.append(CONFLICT_BASE)
            out.extend(_terminated(base_part))
            out.append(CONFLICT_MIDDLE)
            out.extend(_terminated(theirs_part))
            out.append(CONFLICT_END)
        out.extend(base[base_start:base_end])
        at_base, at_ours, at_theirs = base_end, ours_end, theirs_end
    return MergeResult(lines=out, conflicts=conflicts)


def _terminated(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines
