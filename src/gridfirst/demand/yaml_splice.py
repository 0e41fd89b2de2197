"""Rewriting some keys of a YAML file as text, so the rest of the file (comments, order, quoting)
stays as the author wrote it. It edits block mappings only; it is not a YAML round-trip library.

PyYAML drops comments when it loads and dumps a file. Instead, :func:`splice_keys` finds the
keys' positions with ``yaml.compose`` (each node carries its start and end marks) and replaces
only their text. The caller checks the result (:func:`splice_keys` returns None when the file's
layout is one it does not handle, and the result must load to the intended data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode


def _content_end(node: Node) -> int:
    """Index just past the last character a node's own content uses.

    A block collection's ``end_mark`` sits at the next token (often the next key, after any
    comment lines between them), so descend to its last child instead.
    """
    if isinstance(node, ScalarNode) or getattr(node, "flow_style", False) or not node.value:
        return int(node.end_mark.index)
    last = node.value[-1]
    if isinstance(node, MappingNode):
        return _pair_end(*last)
    return _content_end(last)


def _pair_end(key: Node, value: Node) -> int:
    # An omitted value (``key:`` and nothing) is placed at the next token, which may be on a
    # later line; its key ends on the right line.
    if _is_omitted(value):
        return int(key.end_mark.index)
    return _content_end(value)


def _is_omitted(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.value == "" and node.style is None


def _line_end(text: str, index: int) -> int:
    """Index of the newline ending the line that holds ``index - 1`` (or the text's length)."""
    if index > 0 and text[index - 1] == "\n":
        return index - 1
    end = text.find("\n", index)
    return len(text) if end < 0 else end


def _is_flat_record(item: Any) -> bool:
    return isinstance(item, dict) and all(
        isinstance(v, str | int | float | bool) or v is None for v in item.values()
    )


def _block(key: str, value: Any, column: int) -> str:
    """``key: value`` dumped as block YAML; lines after the first indented to ``column``.

    A list of flat records (e.g. demand points) is written one ``- {...}`` line per record, the
    way scenario files list them.
    """
    if isinstance(value, list) and value and all(_is_flat_record(v) for v in value):
        head = yaml.safe_dump({key: None}, allow_unicode=True).split(":")[0]
        items = [
            "  - "
            + yaml.safe_dump(
                item, sort_keys=False, allow_unicode=True, default_flow_style=True, width=10**6
            ).strip()
            for item in value
        ]
        lines = [f"{head}:", *items]
    else:
        dumped = yaml.safe_dump(
            {key: value}, sort_keys=False, allow_unicode=True, default_flow_style=False
        )
        lines = dumped.rstrip("\n").split("\n")
    return ("\n" + " " * column).join(lines)


def _is_block_mapping(node: Node | None) -> bool:
    return isinstance(node, MappingNode) and not node.flow_style and bool(node.value)


def _find(mapping: MappingNode, key: str) -> tuple[Node, Node] | None:
    for k, v in mapping.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return k, v
    return None


def splice_keys(
    text: str, data: Mapping[str, Any], path: Sequence[str], keys: Sequence[str]
) -> str | None:
    """Rewrite ``keys`` of the mapping at ``path`` in a YAML text, keeping all other text.

    Parameters
    ----------
    text : str
        The YAML document (one document whose root is a block mapping).
    data : mapping
        The whole new document as plain data; the new values are read from it.
    path : sequence of str
        Keys from the root to the mapping that changes, e.g. ``("demand",)``.
    keys : sequence of str
        Keys of that mapping to write. A present key is replaced (from the key to the end of
        its value's last line, trailing comment included); a missing one is appended after the
        mapping's last line. Where a mapping on ``path`` is missing or not a non-empty block
        mapping, that whole mapping is written instead.

    Returns
    -------
    str or None
        The new text, or None when the text cannot be parsed or its root is not a block mapping
        (the caller then writes the whole document).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not _is_block_mapping(root):
        return None
    assert isinstance(root, MappingNode)
    node: MappingNode = root
    values: Any = data
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    for depth, step in enumerate(path):
        values = values[step]
        found = _find(node, step)
        child = found[1] if found is not None else None
        if found is None or not _is_block_mapping(child):
            edits.append(_edit(text, node, step, values, found))
            break
        assert isinstance(child, MappingNode)
        node = child
        if depth == len(path) - 1:
            for key in keys:
                edits.append(_edit(text, node, key, values[key], _find(node, key)))
    else:
        if not path:
            for key in keys:
                edits.append(_edit(text, node, key, values[key], _find(node, key)))
    out = text
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        out = out[:start] + new + out[end:]
    return out


def _edit(
    text: str, mapping: MappingNode, key: str, value: Any, found: tuple[Node, Node] | None
) -> tuple[int, int, str]:
    column = int(mapping.value[0][0].start_mark.column)
    if found is not None:
        start = int(found[0].start_mark.index)
        end = _line_end(text, _pair_end(*found))
        return start, end, _block(key, value, column)
    end = _line_end(text, _content_end(mapping))
    return end, end, "\n" + " " * column + _block(key, value, column)
