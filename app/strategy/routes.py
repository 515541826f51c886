"""The strategy workspace of one municipality: sections, saves, conflicts, history, status."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app import access
from app.auth.sessions import PENDING_FORM
from app.cohorts import service as cohort_service
from app.content import catalog
from app.downloads import attachment, refuse_cross_site
from app.extensions import db, limiter
from app.models import Municipality, MunicipalRole, StrategyStatus
from app.models.base import utcnow
from app.security_log import security_event
from app.strategy import export, importing, service
from app.strategy.forms import (
    STATUS_LABELS,
    ImportForm,
    ResolveForm,
    StatusForm,
    section_form,
    submitted_data,
)
from app.strategy.merge import three_way
from app.strategy.values import completion, normalise_section

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
blueprint = Blueprint("strategy", __name__, url_prefix="/cities/<int:municipality_id>/strategy")
EDITING_ROLES = {MunicipalRole.EDITOR, MunicipalRole.COORDINATOR}


class Workspace:
    """What the signed-in person may do in one municipality's workspace (404 if nothing)."""

    def __init__(self, municipality_id: int):
        self.municipality = db.session.get(Municipality, municipality_id)
        membership = current_user.membership_in(municipality_id) if self.municipality else None
        if self.municipality is None or (membership is None and not current_user.is_admin):
            abort(404)
        role = membership.role if membership else None
        self.can_edit = role in EDITING_ROLES
        self.is_coordinator = role == MunicipalRole.COORDINATOR
        self.can_audit = self.is_coordinator or current_user.is_admin
        self.strategy = service.strategy_of(municipality_id)

    def require_editor(self) -> None:
        if not self.can_edit:
            abort(403)

    def require_coordinator(self) -> None:
        if not self.is_coordinator:
            abort(403)


def _section_or_404(slug):
    return catalog().worksheet(slug) or abort(404)


def _modules_feeding(slug):
    return [module for module in catalog().modules() if slug in module.worksheet_sections]


@blueprint.route("")
@access.signed_in
def overview(municipality_id):
    workspace = Workspace(municipality_id)
    sheets = service.worksheets_by_section(workspace.strategy)
    sections = []
    for section in catalog().worksheets:
        sheet = sheets.get(section.slug)
        filled, total = completion(section.spec, sheet.data if sheet else {})
        sections.append((section, filled, total, sheet))
    db.session.commit()
    cohorts = cohort_service.cohorts_of_municipality(municipality_id)
    shared_with = cohort_service.cohorts_sharing(municipality_id)
    return render_template(
        "strategy/overview.html",
        cohorts=cohorts,
        shared_with=shared_with,
        workspace=workspace,
        sections=sections,
        status_form=StatusForm(status=workspace.strategy.status),
        status_labels=STATUS_LABELS,
    )


@blueprint.route("/status", methods=["POST"])
@access.signed_in
def change_status(municipality_id):
    workspace = Workspace(municipality_id)
    workspace.require_coordinator()
    form = StatusForm()
    if form.validate_on_submit():
        service.set_status(workspace.strategy, StrategyStatus(form.status.data), current_user.id)
        db.session.commit()
        flash(_("The status of the strategy was changed."), "success")
    return redirect(url_for("strategy.overview", municipality_id=municipality_id))


@blueprint.route("/<section_slug>", methods=["GET", "POST"])
@access.signed_in
def section(municipality_id, section_slug):
    workspace = Workspace(municipality_id)
    spec = _section_or_404(section_slug).spec
    worksheet = service.worksheet_of(workspace.strategy, section_slug)
    if request.method == "POST":
        workspace.require_editor()
        return _save(workspace, worksheet, spec)
    db.session.commit()
    pending = session.pop(PENDING_FORM, None)
    if pending and pending.get("path") == request.path and workspace.can_edit:
        # Text typed before the session ended: shown back with its original base version,
        # so that saving it merges with anything saved meanwhile.
        form = section_form(spec, {}, formdata=MultiDict(pending["form"]))
        form.save_id.data = secrets.token_hex(16)
        return _render_section(workspace, worksheet, spec, form)
    form = section_form(spec, worksheet.data)
    form.base_version.data = worksheet.version
    form.save_id.data = secrets.token_hex(16)
    return _render_section(workspace, worksheet, spec, form)


def _render_section(workspace, worksheet, spec, form, status=200):
    return render_template(
        "strategy/section.html",
        workspace=workspace,
        worksheet=worksheet,
        spec=spec,
        form=form,
        section=catalog().worksheet(worksheet.section_slug),
        modules=_modules_feeding(worksheet.section_slug),
        data=normalise_section(spec, worksheet.data),
    ), status


def _save(workspace, worksheet, spec):
    form = section_form(spec, {}, formdata=request.form)
    row_action = request.form.get("row_action", "")
    if row_action:
        return _change_rows(workspace, worksheet, spec, form, row_action)
    if not form.validate_on_submit():
        return _render_section(workspace, worksheet, spec, form, 400)
    base = int(form.base_version.data or 0)
    result = service.save_section(
        worksheet, base, submitted_data(spec, form), current_user.id, form.save_id.data or None
    )
    db.session.commit()
    if isinstance(result, service.Conflict):
        flash(
            _(
                "Someone saved this section while you were editing. Choose, for each field "
                "below, which text to keep. Your text is kept until you do."
            ),
            "error",
        )
        return redirect(
            url_for(
                "strategy.resolve",
                municipality_id=workspace.municipality.id,
                section_slug=worksheet.section_slug,
            )
        )
    flash(_("Saved."), "success")
    return redirect(
        url_for(
            "strategy.section",
            municipality_id=workspace.municipality.id,
            section_slug=worksheet.section_slug,
        )
    )


def _change_rows(workspace, worksheet, spec, form, row_action):
    """Add, remove or move a table row without JavaScript; nothing is saved yet."""
    action, _sep, rest = row_action.partition(":")
    field_id, _sep, index = rest.partition(":")
    table = next((f for f in spec.fields if f.id == field_id and f.type == "table"), None)
    if table is None:
        abort(400)
    data = submitted_data(spec, form)
    rows = list(data.get(field_id) or [])
    # isdecimal, not isdigit: int() refuses digits such as "²" that isdigit accepts.
    position = int(index) if index.isdecimal() and len(index) <= 4 else -1
    if action == "add" and len(rows) < table.max_rows:
        rows.append({column.id: None for column in table.columns})
    elif action == "remove" and 0 <= position < len(rows):
        rows.pop(position)
    elif action in ("up", "down") and 0 <= position < len(rows):
        target = position - 1 if action == "up" else position + 1
        if 0 <= target < len(rows):
            rows[position], rows[target] = rows[target], rows[position]
    data[field_id] = rows
    rebuilt = section_form(spec, data)
    rebuilt.base_version.data = form.base_version.data
    rebuilt.save_id.data = form.save_id.data
    flash(_("The rows changed. Save to keep the change."), "info")
    return _render_section(workspace, worksheet, spec, rebuilt)


@blueprint.route("/<section_slug>/resolve", methods=["GET", "POST"])
@access.signed_in
def resolve(municipality_id, section_slug):
    workspace = Workspace(municipality_id)
    workspace.require_editor()
    spec = _section_or_404(section_slug).spec
    worksheet = service.worksheet_of(workspace.strategy, section_slug)
    draft = service.draft_of(worksheet.id, current_user.id)
    if draft is None:
        return redirect(
            url_for("strategy.section", municipality_id=municipality_id, section_slug=section_slug)
        )
    mine = normalise_section(spec, draft.data)
    base = normalise_section(spec, service.revision_data(worksheet.id, draft.base_version))
    theirs = normalise_section(spec, worksheet.data)
    merged, conflicts = three_way(base, mine, theirs)
    form = ResolveForm()
    if form.validate_on_submit():
        for field_id in conflicts:
            merged[field_id] = (
                mine[field_id]
                if request.form.get(f"keep_{field_id}") == "mine"
                else theirs[field_id]
            )
        result = service.save_section(
            worksheet, int(form.base_version.data), merged, current_user.id
        )
        db.session.commit()
        if isinstance(result, service.Saved):
            flash(_("Saved."), "success")
            return redirect(
                url_for(
                    "strategy.section", municipality_id=municipality_id, section_slug=section_slug
                )
            )
        flash(_("The section changed again meanwhile. Please choose once more."), "error")
        return redirect(request.url)
    form.base_version.data = worksheet.version
    fields = {field.id: field for field in spec.fields}
    return render_template(
        "strategy/resolve.html",
        workspace=workspace,
        spec=spec,
        form=form,
        conflicts=[fields[f] for f in conflicts],
        mine=mine,
        theirs=theirs,
        section=catalog().worksheet(section_slug),
    )


@blueprint.route("/<section_slug>/history")
@access.signed_in
def history(municipality_id, section_slug):
    workspace = Workspace(municipality_id)
    spec = _section_or_404(section_slug).spec
    worksheet = service.worksheet_of(workspace.strategy, section_slug)
    revisions = service.revisions(worksheet)
    db.session.commit()
    compare = None
    older, newer = request.args.get("a", type=int), request.args.get("b", type=int)
    if older is not None and newer is not None:
        before = normalise_section(spec, service.revision_data(worksheet.id, older))
        after = normalise_section(spec, service.revision_data(worksheet.id, newer))
        compare = [
            (field, before[field.id], after[field.id])
            for field in spec.fields
            if before[field.id] != after[field.id]
        ]
    return render_template(
        "strategy/history.html",
        workspace=workspace,
        spec=spec,
        worksheet=worksheet,
        revisions=revisions,
        compare=compare,
        older=older,
        newer=newer,
        section=catalog().worksheet(section_slug),
    )


@blueprint.route("/<section_slug>/restore/<int:version>", methods=["POST"])
@access.signed_in
def restore(municipality_id, section_slug, version):
    workspace = Workspace(municipality_id)
    workspace.require_editor()
    _section_or_404(section_slug)
    worksheet = service.worksheet_of(workspace.strategy, section_slug)
    if not 1 <= version <= worksheet.version:
        abort(404)
    service.restore(worksheet, version, current_user.id)
    db.session.commit()
    flash(_("Version %(version)s was restored as a new version.", version=version), "success")
    return redirect(
        url_for("strategy.history", municipality_id=municipality_id, section_slug=section_slug)
    )


@blueprint.route("/audit")
@access.signed_in
def audit(municipality_id):
    workspace = Workspace(municipality_id)
    if not workspace.can_audit:
        abort(404)
    events = service.audit_trail(municipality_id)
    return render_template(
        "strategy/audit.html",
        workspace=workspace,
        events=events,
        titles={s.slug: s.spec.title for s in catalog().worksheets},
    )


@blueprint.route("/<section_slug>/autosave", methods=["POST"])
@access.signed_in
def autosave(municipality_id, section_slug):
    """The script's draft saves: same rules as the form, answered in JSON."""
    workspace = Workspace(municipality_id)
    workspace.require_editor()
    spec = _section_or_404(section_slug).spec
    worksheet = service.worksheet_of(workspace.strategy, section_slug)
    form = section_form(spec, {}, formdata=request.form)
    if not form.validate():
        db.session.rollback()
        return jsonify(
            status="invalid",
            message=_("Not saved: some fields need attention. Use the Save button to see where."),
        ), 400
    result = service.save_section(
        worksheet,
        int(form.base_version.data or 0),
        submitted_data(spec, form),
        current_user.id,
        form.save_id.data or None,
        merge=False,  # the page keeps its own copy of the other fields: never build on theirs
    )
    db.session.commit()
    if isinstance(result, service.Conflict):
        return jsonify(
            status="conflict",
            message=_("Someone else saved this section. Press Save to compare the texts."),
        ), 409
    return jsonify(
        status="saved",
        version=result.version,
        next_save_id=secrets.token_hex(16),
        message=_("Saved at %(time)s.", time=format_time(utcnow(), "short")),
    )


def _download(content: bytes, mimetype: str, municipality, extension: str):
    name = f"{municipality.name} - {_('prevention strategy')}.{extension}"
    return attachment(content, mimetype, name)


@blueprint.route("/preview")
@access.signed_in
def preview(municipality_id):
    workspace = Workspace(municipality_id)
    return export.render_document(workspace.municipality, workspace.strategy)


@blueprint.route("/export.<any(pdf, docx, json):kind>")
@access.signed_in
@limiter.limit("10 per minute", key_func=lambda: f"export:{current_user.id}")
def download(municipality_id, kind):
    refuse_cross_site()
    workspace = Workspace(municipality_id)
    municipality, strategy = workspace.municipality, workspace.strategy
    service.record(municipality.id, current_user.id, "exported", None, {"format": kind})
    security_event("strategy_export", "ok", municipality_id=municipality.id, format=kind)
    db.session.commit()
    if kind == "pdf":
        return _download(
            export.pdf_bytes(municipality, strategy), "application/pdf", municipality, "pdf"
        )
    if kind == "docx":
        return _download(
            export.docx_bytes(municipality, strategy), DOCX_MIMETYPE, municipality, "docx"
        )
    return _download(
        export.json_bytes(municipality, strategy), "application/json", municipality, "json"
    )


@blueprint.route("/import", methods=["GET", "POST"])
@access.signed_in
def import_backup(municipality_id):
    workspace = Workspace(municipality_id)
    workspace.require_coordinator()
    form = ImportForm()
    if form.validate_on_submit():
        try:
            sections = importing.parse(form.backup.data.read(importing.MAX_IMPORT_BYTES + 1))
        except importing.ImportRefused as refusal:
            form.backup.errors.append(str(refusal))
        else:
            count = importing.apply(workspace.strategy, sections, current_user.id)
            db.session.commit()
            flash(_("Imported %(count)s sections, each as a new version.", count=count), "success")
            return redirect(url_for("strategy.overview", municipality_id=municipality_id))
    return render_template("strategy/import.html", workspace=workspace, form=form)


@blueprint.route("/share", methods=["POST"])
@access.signed_in
def share(municipality_id):
    """A coordinator lets (or stops letting) a cohort's trainers read the workspace."""
    workspace = Workspace(municipality_id)
    workspace.require_coordinator()
    cohort_id = request.form.get("cohort", type=int)
    allowed = {cohort.id for cohort in cohort_service.cohorts_of_municipality(municipality_id)}
    allowed |= cohort_service.cohorts_sharing(municipality_id)  # stopping is always possible
    if cohort_id not in allowed:
        abort(404)
    shared = request.form.get("shared") == "y"
    cohort_service.share(cohort_id, municipality_id, current_user.id, shared)
    security_event(
        "strategy_share",
        "shared" if shared else "unshared",
        municipality_id=municipality_id,
        cohort=cohort_id,
    )
    service.record(
        municipality_id,
        current_user.id,
        "shared" if shared else "unshared",
        None,
        {"cohort": cohort_id},
    )
    db.session.commit()
    flash(_("Sharing was updated."), "success")
    return redirect(url_for("strategy.overview", municipality_id=municipality_id))
