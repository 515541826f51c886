"""YAML and front matter read together with the line of every key, for `file:line` messages."""

from __future__ import annotations

import yaml

LinePath = tuple[str | int, ...]
# libyaml's loader when PyYAML was built with it: the catalog loads several times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SourceError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def load_yaml(text: str, first_line: int = 1) -> tuple[object, dict[LinePath, int]]:
    """Parse one YAML document; return the data and a map from key path to line number."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        # Safe: _Loader is a SafeLoader (the C one where available).
        data = yaml.load(text, Loader=_Loader)  # noqa: S506  # nosec B506
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line if mark else 0) + first_line
        raise SourceError(line, f"invalid YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise SourceError(first_line, f"invalid YAML: {error}") from None
    lines: dict[LinePath, int] = {}
    if node is not None:
        _record_lines(node, (), lines, first_line)
    return data, lines


def _record_lines(node, path: LinePath, lines: dict[LinePath, int], offset: int) -> None:
    lines.setdefault(path, node.start_mark.line + offset)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            lines[child] = key_node.start_mark.line + offset
            _record_lines(value_node, child, lines, offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines, offset)


def line_of(lines: dict[LinePath, int], path: LinePath) -> int:
    """The line of the deepest known part of a path (a missing key points at its parent)."""
    path = tuple(path)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def split_front_matter(text: str) -> tuple[str, str, int]:
    """Split `---` front matter from a Markdown body; also return the body's first line."""
    if not text.startswith("---\n"):
        raise SourceError(1, "a step must start with front matter between '---' lines")
    end = text.find("\n---\n", 4)
    if end == -1:
        raise SourceError(1, "the front matter has no closing '---' line")
    front = text[4 : end + 1]
    body = text[end + 5 :]
    body_first_line = front.count("\n") + 3
    return front, body, body_first_line
