"""`flask guides check` and `flask guides extract`."""

from __future__ import annotations

from pathlib import Path

import click
from babel.messages.pofile import write_po
from flask import current_app
from flask.cli import AppGroup

from app.content.loader import ContentError, load_catalog
from app.content.translations import content_messages, translated_share

guides_cli = AppGroup("guides", help="Check and extract the guide content.")


@guides_cli.command("check")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
def check(folder: Path | None) -> None:
    """Validate every guide, module, step, quiz and worksheet; print a summary."""
    folder = folder or Path(current_app.config["GUIDES_DIR"])
    try:
        catalog = load_catalog(folder)
    except ContentError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException(
            f"the guide content is invalid ({len(error.problems)} problems)"
        ) from None
    modules = list(catalog.modules())
    steps = list(catalog.steps())
    words = sum(len(step.body.split()) for step in steps)
    questions = sum(len(module.quiz.questions) for module in modules)
    fields = sum(len(section.spec.fields) for section in catalog.worksheets)
    click.echo(
        f"guides: {len(catalog.guides)}, modules: {len(modules)}, steps: {len(steps)}, "
        f"words: {words}, quiz questions: {questions}, "
        f"worksheet sections: {len(catalog.worksheets)}, worksheet fields: {fields}"
    )
    translations = Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"])
    for locale in current_app.config["LANGUAGES"]:
        if locale == "en":
            continue
        done, total = translated_share(catalog, translations / locale / "LC_MESSAGES/guides.po")
        share = 100 * done / total if total else 100
        click.echo(f"  {locale}: {done} of {total} content messages translated ({share:.0f} %)")
    click.echo("The guide content is valid.")


@guides_cli.command("extract")
def extract() -> None:
    """Write translations/guides.pot: one message per block, title, quiz text and label."""
    catalog = load_catalog(current_app.config["GUIDES_DIR"])
    messages = content_messages(catalog)
    target = Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"]) / "guides.pot"
    with target.open("wb") as handle:
        write_po(handle, messages, width=100, sort_output=False, omit_header=False)
    click.echo(f"wrote {len(messages)} messages to {target}")


__all__ = ["guides_cli"]
