"""Field-level three-way merge of a stale save against the current content."""

from __future__ import annotations


def three_way(base: dict, mine: dict, theirs: dict) -> tuple[dict, list[str]]:
    """Changes to different fields both survive; a field both sides changed differently is a
    conflict, never resolved silently (the merged value keeps theirs until someone chooses)."""
    merged, conflicts = {}, []
    for key in dict.fromkeys([*theirs, *mine]):
        original, ours, current = base.get(key), mine.get(key), theirs.get(key)
        if ours in (current, original):
            merged[key] = current
        elif current == original:
            merged[key] = ours
        else:
            merged[key] = current
            conflicts.append(key)
    return merged, conflicts
