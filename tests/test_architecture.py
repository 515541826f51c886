"""T-AC-6: worksheet content is read and written only where it is scoped to a municipality.

An AST scan of app/ (models excluded) finds every module that touches the workspace models
(Strategy, Worksheet, WorksheetRevision, WorksheetDraft) at run time - in a query, a
`db.session.get`, a `.query`, a constructor - or that names their tables in a string, or walks
every table of the metadata. Type annotations do not count: they read nothing. Each such module
must be in ALLOWED with the reason it may; anything else fails. Routes reach worksheets through
`app.strategy.service`, after `Workspace` (app/strategy/routes.py) has checked membership.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from app.extensions import db

APP = Path(__file__).parent.parent / "app"
MODELS = {"Strategy", "Worksheet", "WorksheetRevision", "WorksheetDraft"}
TABLES = {"strategy", "worksheet", "worksheet_revision", "worksheet_draft"}
SQL_ON_TABLES = re.compile(
    r'\b(?:FROM|JOIN|UPDATE|INTO|TABLE)\s+"?(?:' + "|".join(sorted(TABLES)) + r")\b"
)

ALLOWED = {
    "app/strategy/service.py": "the policy module: every lookup starts from strategy_of("
    "municipality_id), which routes call only after Workspace checked the membership",
    "app/cohorts/dashboard.py": "per-section completion counts for the cities of a trainer's "
    "own cohort; shows no content (T-AC-4)",
    "app/auth/personal_data.py": "the personal-data registry names the person-linked columns "
    "of these tables for a person's own export and erasure",
    "app/backup.py": "the operator's whole-database backup and restore (CLI only) walks every "
    "table",
}


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """ids of every node inside a type annotation."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        annotations = []
        if isinstance(node, (ast.AnnAssign, ast.arg)) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            annotations.append(node.returns)
        for annotation in annotations:
            inside.update(id(child) for child in ast.walk(annotation))
    return inside


def touches(source: str) -> list[str]:
    """What in this module's source reaches the workspace models at run time."""
    tree = ast.parse(source)
    annotations = _annotation_nodes(tree)
    # A blueprint called "strategy" is a name, not a table.
    annotations.update(
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Blueprint"
        for arg in node.args
    )
    local_names: dict[str, str] = {}  # alias -> model
    module_aliases: set[str] = set()  # names bound to app.models / app.models.strategy
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.models"):
            for alias in node.names:
                if alias.name in MODELS:
                    local_names[alias.asname or alias.name] = alias.name
                elif alias.name == "strategy" and node.module == "app.models":
                    module_aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module == "app" and node.names:
            module_aliases.update(a.asname or a.name for a in node.names if a.name == "models")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("app.models"):
                    module_aliases.add((alias.asname or alias.name).split(".")[0])
    hits = []
    for node in ast.walk(tree):
        if id(node) in annotations:
            continue
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name) and node.id in local_names:
            hits.append(f"{line}: {local_names[node.id]}")
        elif isinstance(node, ast.Attribute) and node.attr in MODELS:
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in module_aliases | {"app"}:
                hits.append(f"{line}: {node.attr}")
        elif isinstance(node, ast.Attribute) and node.attr in {"sorted_tables", "tables"}:
            if isinstance(node.value, ast.Attribute) and node.value.attr == "metadata":
                hits.append(f"{line}: metadata.{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):  # noqa: SIM102
            if node.value in TABLES or SQL_ON_TABLES.search(node.value):
                hits.append(f"{line}: table name {node.value!r}")
    return hits


def test_the_scan_finds_each_kind_of_lookup():
    caught = {
        "from app.models import Worksheet\nrows = select(Worksheet)": 1,
        "from app.models import WorksheetRevision as R\nx = db.session.get(R, 1)": 1,
        "import app.models\nx = app.models.Strategy.query.all()": 1,
        "from app import models\nx = db.get_or_404(models.WorksheetDraft, 3)": 1,
        "t = db.metadata.tables['user']": 1,
        "q = text('SELECT * FROM worksheet_revision')": 1,
        "PersonLink('worksheet_draft', 'user_id')": 1,
        "bp = Blueprint('strategy', __name__)\nx = tables['strategy']": 1,
    }
    for source, count in caught.items():
        assert len(touches(source)) == count, source
    harmless = (
        "from app.models import Strategy\ndef f(s: Strategy) -> Strategy:\n    x: Strategy = s\n"
        "from app.strategy import service\nw = service.worksheet_of(s, 'a')\n"
        "label = 'Strategy sections started'\n"
    )
    assert touches(harmless) == []


def test_workspace_models_are_reached_only_through_the_policy_modules():
    """T-AC-6: 0 direct lookups outside the allowlisted modules."""
    touching: dict[str, list[str]] = {}
    scanned = 0
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP.parent).as_posix()
        if relative.startswith("app/models/"):
            continue
        scanned += 1
        hits = touches(path.read_text(encoding="utf-8"))
        if hits:
            touching[relative] = hits
    outside = {module: hits for module, hits in touching.items() if module not in ALLOWED}
    stale = sorted(set(ALLOWED) - set(touching))
    lookups = sum(len(hits) for hits in touching.values())
    print(
        f"\nT-AC-6: {scanned} modules scanned; {lookups} workspace-model references, all in the "
        f"{len(ALLOWED)} allowlisted modules; {sum(map(len, outside.values()))} direct lookups "
        "outside the policy module(s)"
    )
    assert outside == {}, f"workspace models used outside the allowlist: {outside}"
    assert stale == [], f"allowlisted modules that no longer touch the models: {stale}"


def test_no_other_model_has_a_relationship_into_the_workspace():
    """A relationship (municipality.strategy, user.revisions) would let any module lazy-load
    worksheet content past the scan above."""
    mappers = list(db.Model.registry.mappers)
    leaks = [
        f"{mapper.class_.__name__}.{rel.key}"
        for mapper in mappers
        if mapper.class_.__name__ not in MODELS
        for rel in mapper.relationships
        if rel.mapper.class_.__name__ in MODELS
    ]
    assert len(mappers) > len(MODELS)
    assert leaks == []
