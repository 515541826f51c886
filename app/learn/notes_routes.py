"""Saving reflection notes, the "my notes" page and its download."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.content import catalog, translate
from app.extensions import db
from app.learn.forms import notes_form
from app.learn.notes import all_notes, save_notes, saved_notes
from app.learn.routes import blueprint, module_or_404


@blueprint.route("/guides/<guide_slug>/<module_slug>/notes", methods=["POST"])
@access.signed_in
def save_module_notes(guide_slug, module_slug):
    guide, module = module_or_404(guide_slug, module_slug)
    form = notes_form(module.reflection, saved_notes(current_user.id, module.key))
    if form.validate_on_submit():
        texts = {n: form[f"note{n}"].data or "" for n in range(1, len(module.reflection) + 1)}
        save_notes(current_user.id, module.key, texts)
        db.session.commit()
        flash(_("Your notes were saved. Only you can see them."), "success")
        return redirect(
            url_for("learn.module", guide_slug=guide.slug, module_slug=module.slug, _anchor="notes")
        )
    flash(
        _("Your notes were not saved: each note can hold at most %(max)s characters.", max=5000),
        "error",
    )
    return render_template(
        "learn/module.html",
        guide=guide,
        module=module,
        notes=form,
        sections=[],
        row=None,
        seen=set(),
        attempts=[],
    ), 400


def _notes_with_prompts():
    items = []
    for note in all_notes(current_user.id):
        module = catalog().module(note.module_key)
        if module is None or note.prompt_number > len(module.reflection):
            continue
        items.append((module, translate(module.reflection[note.prompt_number - 1]), note))
    return items


@blueprint.route("/notes")
@access.signed_in
def my_notes():
    return render_template("learn/notes.html", items=_notes_with_prompts())


@blueprint.route("/notes/download")
@access.signed_in
def download_notes():
    lines = [_("My reflection notes"), ""]
    for module, prompt, note in _notes_with_prompts():
        lines += [
            f"## {translate(module.title)}",
            f"### {prompt}",
            note.text,
            "",
            format_datetime(note.updated_at, "short"),
            "",
        ]
    return Response(
        "\n".join(lines),
        mimetype="text/markdown",
        headers={"Content-Disposition": 'attachment; filename="reflection-notes.md"'},
    )
