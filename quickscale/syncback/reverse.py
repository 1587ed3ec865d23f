"""From a changed, rendered project file back to the template file that renders it.

Rendering replaces `{{ ... }}` tags by values. When the template has no block tags, every
template line renders to exactly one project line, so a change to project lines is a change to
the same template lines. Changed lines get their variables back where the rendered values
stand; anything else (block tags, comments, template syntax typed into the project) is left to
a person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.template import Context, Engine

VARIABLE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
LOGIC = re.compile(r"\{%|\{#")
TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|\{#|%\}|\}\}|#\}")
# Context variables whose values are put back in changed lines, in the template's own words.
REVERSIBLE = ("project_title", "camel_case_project_name", "project_name")
MIN_VALUE_LENGTH = 3


@dataclass(frozen=True)
class Reversed:
    text: str | None
    reason: str = ""


_ENGINE = Engine()  # Django's defaults, as TemplateCommand renders project files


def render(template: str, context: Mapping[str, object]) -> str:
    return _ENGINE.from_string(template).render(Context(dict(context), autoescape=False))


def _aligned(
    template_lines: list[str], generated_lines: list[str], context: Mapping[str, object]
) -> bool:
    if len(template_lines) != len(generated_lines):
        return False
    return all(
        line == generated_line
        if "{" not in line
        else not LOGIC.search(line) and render(line, context) == generated_line
        for line, generated_line in zip(template_lines, generated_lines, strict=True)
    )


def _expressions(lines: list[str], context: Mapping[str, object]) -> dict[str, str]:
    """The rendered value of every `{{ ... }}` in `lines`, mapped to the tag that renders it."""
    found: dict[str, str] = {}
    for line in lines:
        for match in VARIABLE.finditer(line):
            value = render(match.group(0), context)
            if len(value) >= MIN_VALUE_LENGTH:
                found.setdefault(value, match.group(0))
    return found


def _unrender(line: str, tags: Mapping[str, str]) -> str:
    if not tags:
        return line
    values = sorted(tags, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(v) for v in values) + r")(?![A-Za-z0-9_])"
    )
    return pattern.sub(lambda match: tags[match.group(1)], line)


def template_for(
    *, template: str, generated: str, project: str, context: Mapping[str, object]
) -> Reversed:
    """The new template text whose rendering is `project`, given that `template` rendered to
    `generated`; or None with the reason a person must make this change."""
    template_lines = template.splitlines(keepends=True)
    generated_lines = generated.splitlines(keepends=True)
    project_lines = project.splitlines(keepends=True)
    if not _aligned(template_lines, generated_lines, context):
        return Reversed(None, "the template file holds template logic; edit it by hand")
    defaults = {
        str(context[key]): "{{ " + key + " }}"
        for key in REVERSIBLE
        if len(str(context.get(key, ""))) >= MIN_VALUE_LENGTH
    }
    out: list[str] = []
    matcher = SequenceMatcher(None, generated_lines, project_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(template_lines[i1:i2])
            continue
        new_lines = project_lines[j1:j2]
        if any(TEMPLATE_SYNTAX.search(line) for line in new_lines):
            return Reversed(None, "a changed line holds template syntax; edit the template by hand")
        tags = {**defaults, **_expressions(template_lines[i1:i2], context)}
        out.extend(_unrender(line, tags) for line in new_lines)
    return Reversed("".join(out))
