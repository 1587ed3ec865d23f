"""Mark each HTML element of a template with where it starts: `data-qs-src="pages/home.html:12"`.

The mark is added to the template's source text, after the tag name, so rendering is otherwise
unchanged and the line is the line of the element's start tag in the file.
"""

from __future__ import annotations

import re

ATTRIBUTE = "data-qs-src"
# Elements that only describe the document: marking them helps nobody find anything on a page.
UNMARKED = frozenset({"html", "head", "meta", "link", "title", "base", "script", "style"})
RAW_TEXT = ("script", "style")
TOKEN = re.compile(
    r"(?P<django>\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\})"
    r"|(?P<comment><!--.*?-->)"
    r"|<(?P<tag>[a-zA-Z][a-zA-Z0-9-]*)",
    re.DOTALL,
)


def annotate(source: str, name: str) -> str:
    """The template source with every literal start tag marked with `name:line`."""
    out: list[str] = []
    position = 0
    line = 1
    length = len(source)
    while position < length:
        match = TOKEN.search(source, position)
        if match is None:
            break
        out.append(source[position : match.end()])
        line += source.count("\n", position, match.end())
        position = match.end()
        tag = match.group("tag")
        if tag is None:
            continue
        lowered = tag.lower()
        if lowered not in UNMARKED:
            out.append(f' {ATTRIBUTE}="{name}:{line}"')
        if lowered in RAW_TEXT:
            end = source.lower().find(f"</{lowered}", position)
            end = length if end == -1 else end
            out.append(source[position:end])
            line += source.count("\n", position, end)
            position = end
    out.append(source[position:])
    return "".join(out)
