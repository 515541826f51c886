"""T-CONC-4: the field-level three-way merge, against random edits by two or three editors."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.strategy.merge import three_way

FIELDS = ["a", "b", "c", "d"]
values = st.sampled_from(["", "x", "y", "z", "long text"])
documents = st.fixed_dictionaries({field: values for field in FIELDS})
RUN = {"examples": 0, "held": 0}  # examples run / examples whose invariants all held


@pytest.fixture(scope="module", autouse=True)
def _figure():
    yield
    print(
        f"\nT-CONC-4: {RUN['examples']} sequences (hypothesis examples of 2-3 editors); "
        f"{RUN['examples'] - RUN['held']} invariant violations"
    )


@settings(max_examples=300, deadline=None)
@given(base=documents, mine=documents, theirs=documents)
def test_merge_invariants(base, mine, theirs):
    RUN["examples"] += 1
    merged, conflicts = three_way(base, mine, theirs)
    for field in FIELDS:
        mine_changed, theirs_changed = mine[field] != base[field], theirs[field] != base[field]
        if mine_changed and not theirs_changed:
            assert merged[field] == mine[field]  # my change survives
        if theirs_changed and not mine_changed:
            assert merged[field] == theirs[field]  # their change survives
        if mine_changed and theirs_changed and mine[field] != theirs[field]:
            assert field in conflicts  # never resolved silently
        else:
            assert field not in conflicts
    assert set(merged) == set(FIELDS)
    RUN["held"] += 1


@settings(max_examples=200, deadline=None)
@given(base=documents, mine=documents)
def test_a_retried_save_never_conflicts_with_itself(base, mine):
    RUN["examples"] += 1
    merged, conflicts = three_way(base, mine, mine)
    assert conflicts == [] and merged == mine
    RUN["held"] += 1


@settings(max_examples=200, deadline=None)
@given(base=documents, first=documents, second=documents, third=documents)
def test_three_editors_in_turn_lose_no_unconflicted_change(base, first, second, third):
    RUN["examples"] += 1
    current, _ = three_way(base, first, base)  # the first save lands on the base
    for editor in (second, third):
        merged, conflicts = three_way(base, editor, current)
        for field in FIELDS:
            if field not in conflicts and editor[field] != base[field]:
                assert merged[field] == editor[field]
        current = merged
    RUN["held"] += 1
