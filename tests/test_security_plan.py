"""Every test of the security plan (SECURITY.md section 5) exists and prints its figure.

SECURITY.md is not part of the repository, so its list of test ids is copied here. A test id
counts as implemented when some file under tests/ prints a line that starts with it: a `print(`
whose string starts with the id, or an f-string that starts with it (a figure built for a
report line, as tests/logscan.py does for T-LOG-2). The load tests (T-LOAD-*) are `make bench`
figures, not pytest ones: they must be printed by a script under bench/ instead.
"""

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent

PLAN = (
    *(f"T-AC-{n}" for n in range(1, 7)),
    "T-CSRF-1",
    "T-CSRF-2",
    *(f"T-XSS-{n}" for n in range(1, 4)),
    *(f"T-HDR-{n}" for n in range(1, 4)),
    *(f"T-AUTH-{n}" for n in range(1, 7)),
    *(f"T-SES-{n}" for n in range(1, 6)),
    *(f"T-CONC-{n}" for n in range(1, 6)),
    *(f"T-EXP-{n}" for n in range(1, 5)),
    "T-IN-1",
    "T-IN-2",
    "T-ERR-1",
    *(f"T-LOG-{n}" for n in range(1, 4)),
    *(f"T-DATA-{n}" for n in range(1, 5)),
    *(f"T-BAK-{n}" for n in range(1, 4)),
    "T-MIG-1",
    "T-MIG-2",
    "T-CFG-1",
    *(f"T-STAT-{n}" for n in range(1, 4)),
)
BENCH_PLAN = ("T-LOAD-1", "T-LOAD-2", "T-LOAD-3")

# A string literal, optionally after `print(`, optionally f/r-prefixed, optionally opening with
# newlines, that starts with a test id (not followed by another digit: T-AC-1 is not T-AC-10).
_PRINTED = r"""print\(\s*[rRfFbBuU]{0,2}(?:"{3}|'{3}|"|')(?:\\n)*"""
_FSTRING = r"""\b[rR]?[fF][rR]?(?:"{3}|'{3}|"|')(?:\\n)*"""


def figures_printed(folder: Path) -> dict[str, list[str]]:
    """Test id -> files under folder that print a line starting with it."""
    found: dict[str, list[str]] = {}
    ids = r"(T-[A-Z]+-\d+)(?!\d)"
    pattern = re.compile(f"(?:{_PRINTED}|{_FSTRING}){ids}")
    for path in sorted(folder.rglob("*.py")):
        if path.resolve() == Path(__file__).resolve():
            continue  # this file's own examples are not figures
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1), []).append(str(path.relative_to(folder.parent)))
    return found


def test_the_pattern_finds_printed_figures_and_nothing_else(tmp_path):
    (tmp_path / "test_a.py").write_text(
        'print(f"\\nT-AC-1: 3 rules")\n'
        "print(\n    f'T-EXP-2: 0 formula cells'\n)\n"
        'summary = f"T-LOG-2: {n} records"\n'
        '"""T-AC-2: only a docstring."""\n'
        "# T-AC-3: only a comment\n"
        'print("T-AC-10: not T-AC-1")\n'
        'print("see T-AC-4")\n'
    )
    assert sorted(figures_printed(tmp_path)) == ["T-AC-1", "T-AC-10", "T-EXP-2", "T-LOG-2"]


def test_every_test_of_the_plan_is_named_and_prints_its_figure():
    in_tests = figures_printed(ROOT / "tests")
    in_bench = figures_printed(ROOT / "bench")
    missing = [test_id for test_id in PLAN if test_id not in in_tests]
    missing_bench = [test_id for test_id in BENCH_PLAN if test_id not in in_bench]
    unknown = sorted(set(in_tests) - set(PLAN))
    print(
        f"\nsecurity plan: {len(PLAN) - len(missing)} of {len(PLAN)} test IDs, each named and "
        f"printing its figure; {len(BENCH_PLAN) - len(missing_bench)} of {len(BENCH_PLAN)} "
        "load figures printed by make bench"
    )
    assert missing == [], f"no test prints a figure for {missing}"
    assert missing_bench == [], f"no bench script prints a figure for {missing_bench}"
    assert unknown == [], f"ids printed by tests but not in the plan: {unknown}"
    print(f"security plan: {len(PLAN)} test IDs, each named and printing its figure")
