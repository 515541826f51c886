"""`flask backup` and `flask restore`: the whole site as one canonical, checksummed JSON file.

Backups hold every city's worksheets: store them encrypted and access-controlled (README).
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import click
from alembic.migration import MigrationContext
from flask.cli import AppGroup
from sqlalchemy import Date, DateTime, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator

from app.extensions import db
from app.models.base import utcnow

FORMAT = "strongcities-backup"
FORMAT_VERSION = 1
backup_cli = AppGroup("backup", help="Back up and restore the whole site.")


class BackupRefused(Exception):
    pass


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@contextmanager
def _snapshot():
    """A connection that reads every table from one snapshot, so a save committed while the
    backup runs is wholly in it or wholly out of it. PostgreSQL: REPEATABLE READ. SQLite: an
    explicit BEGIN (the driver opens no transaction for reads), whose first read fixes the
    snapshot; WAL lets saves go on meanwhile."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")
        yield connection
        connection.rollback()


def dump() -> dict:
    """Every table's rows in primary-key order, so two backups of the same data are equal."""
    tables = {}
    with _snapshot() as connection:
        for table in db.metadata.sorted_tables:
            order = [column for column in table.primary_key.columns]
            rows = connection.execute(select(table).order_by(*order)).mappings()
            tables[table.name] = [
                {key: _value(value) for key, value in row.items()} for row in rows
            ]
    return tables


def canonical(tables: dict) -> bytes:
    return json.dumps(tables, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def make_backup() -> dict:
    tables = dump()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": revision(),
        "created_at": utcnow().isoformat(),
        "sha256": hashlib.sha256(canonical(tables)).hexdigest(),
        "tables": tables,
    }


def _restore_value(column, value):
    if value is None:
        return None
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    return value


def restore(payload: dict) -> int:
    """Load a backup into an empty database at the same schema revision; returns rows."""
    if (
        not isinstance(payload, dict)
        or payload.get("format") != FORMAT
        or payload.get("format_version") != FORMAT_VERSION
    ):
        raise BackupRefused("not a backup of this application, or of another format version")
    tables = payload.get("tables")
    if not isinstance(tables, dict):
        raise BackupRefused("the backup holds no tables")
    if hashlib.sha256(canonical(tables)).hexdigest() != payload.get("sha256"):
        raise BackupRefused("the checksum does not match: the file was changed or damaged")
    if payload.get("schema_revision") != revision():
        raise BackupRefused(
            f"the backup is at schema {payload.get('schema_revision')}, "
            f"the database at {revision()}: migrate first"
        )
    known = {table.name: table for table in db.metadata.sorted_tables}
    if not set(tables) <= set(known):
        raise BackupRefused("the backup names tables this application does not have")
    if not all(
        isinstance(rows, list) and all(isinstance(row, dict) for row in rows)
        for rows in tables.values()
    ):
        raise BackupRefused("the backup's tables are not lists of rows")
    for table in known.values():
        if db.session.execute(select(func.count()).select_from(table)).scalar_one():
            raise BackupRefused(f"the database is not empty (table {table.name})")
    count = 0
    for table in db.metadata.sorted_tables:  # parents before children
        rows = tables.get(table.name) or []
        if rows:
            db.session.execute(
                insert(table),
                [
                    {
                        key: _restore_value(table.columns[key], value)
                        for key, value in row.items()
                        if key in table.columns
                    }
                    for row in rows
                ],
            )
            count += len(rows)
    _reset_sequences()
    return count


def _reset_sequences() -> None:
    """PostgreSQL's id sequences must continue after the restored ids."""
    if db.engine.dialect.name != "postgresql":
        return
    quote = db.engine.dialect.identifier_preparer.quote
    for table in db.metadata.sorted_tables:
        if "id" in table.columns and table.columns["id"].autoincrement:
            highest = select(func.coalesce(func.max(table.c.id), 0)).scalar_subquery()
            sequence = func.pg_get_serial_sequence(quote(table.name), "id")
            db.session.execute(select(func.setval(sequence, highest + 1, False)))


@backup_cli.command("create")
@click.argument("output", type=click.Path(path_type=Path))
def create_command(output: Path) -> None:
    """Write a backup of the whole site to OUTPUT (JSON)."""
    payload = make_backup()
    output.write_text(json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=1))
    output.chmod(0o600)
    rows = sum(len(rows) for rows in payload["tables"].values())
    click.echo(
        f"wrote {len(payload['tables'])} tables, {rows} rows to {output} "
        f"(sha256 {payload['sha256'][:12]}); store it encrypted"
    )


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
def restore_command(source: Path) -> None:
    """Restore SOURCE into this (empty, migrated) database."""
    try:
        payload = json.loads(source.read_text(encoding="utf-8"))
        rows = restore(payload)
    except (ValueError, RecursionError, BackupRefused) as problem:
        db.session.rollback()
        raise click.ClickException(f"restore refused: {problem}") from None
    except SQLAlchemyError as problem:
        # Rows the database will not take (a value of the wrong type): nothing was committed.
        db.session.rollback()
        reason = str(problem.orig if hasattr(problem, "orig") else problem).splitlines()[0]
        raise click.ClickException(f"restore refused: a row does not fit: {reason}") from None
    db.session.commit()
    click.echo(f"restored {rows} rows from {source}")
