"""Stripe's form encoding: ``metadata[credits]=100``, ``line_items[0][price]=p``, ``expand[]=x``."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def parse(text: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        head, _, rest = key.partition("[")
        parts = [head] + (_KEY_PART.findall("[" + rest) if rest else [])
        node = root
        for index, part in enumerate(parts):
            if part == "":  # "expand[]": append
                part = str(len(node))
            if index == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    break
    listed: dict[str, Any] = _listify(root)
    return listed


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted
