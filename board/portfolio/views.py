from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from board import live
from board.auth.forms import EmptyForm
from board.auth.permissions import facilitator_required, login_required, require_login
from board.extensions import db
from board.forms import clean_text
from board.portfolio import bp, lookups, service
from board.portfolio.forms import InitiativeForm, PartForm, RelationForm
from board.portfolio.models import INITIATIVE_STATUSES
from board.web import render_page_or_fragment


def _authorize_initiative_channel(key: str) -> None:
    require_login()
    lookups.initiative_or_404(key)


def _snapshot_initiative_channel(key: str) -> str:
    return service.render_initiative(lookups.initiative_or_404(key))


@bp.get("/")
def home():
    """The start page: what Tavlan is and how to log in; members go straight to the portfolio."""
    if current_user.is_authenticated:
        return redirect(url_for("portfolio.overview"))
    return render_template("portfolio/home.html")


@bp.get("/portfolio")
@login_required
def overview():
    """The portfolio at a glance: challenges served and not, municipalities, parts."""
    return render_template("portfolio/overview.html", **service.overview())


def _filters() -> dict:
    args = {name: clean_text(request.args.get(name, ""))[:200] for name in ("municipality", "challenge", "status", "q")}
    if args["status"] not in INITIATIVE_STATUSES:
        args["status"] = ""
    return args


@bp.get("/initiatives")
@login_required
def index():
    """The initiative list, filtered by municipality, challenge, status and text."""
    filters = _filters()
    initiatives = db.session.scalars(service.initiatives_query(
        filters["municipality"], filters["challenge"], filters["status"], filters["q"])).all()
    return render_page_or_fragment(
        "portfolio/index.html", "portfolio/_initiative_list.html", initiatives=initiatives, filters=filters,
        organisations=service.organisations(), challenges=service.challenges(),
        statuses=INITIATIVE_STATUSES)


def _initiative_form(form: InitiativeForm) -> InitiativeForm:
    form.municipalities.choices = [SelectChoice(o.key, o.name) for o in service.organisations()]
    form.challenges.choices = [SelectChoice(c.key, c.name) for c in service.challenges()]
    return form


def _form_data(form: InitiativeForm) -> dict:
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


@bp.route("/initiatives/new", methods=["GET", "POST"])
@facilitator_required
def create():
    """Create an initiative (facilitators)."""
    form = _initiative_form(InitiativeForm())
    if form.validate_on_submit():
        initiative = service.create_initiative(_form_data(form))
        return redirect(url_for("portfolio.show", key=initiative.key), 303)
    return render_template("portfolio/edit.html", form=form, initiative=None), \
        422 if request.method == "POST" else 200


@bp.get("/initiatives/<key>")
@login_required
def show(key: str):
    """An initiative: aims, parts (existing and potential), relations, challenges; live."""
    since = live.latest_id()  # before the queries, so a change committed meanwhile is replayed
    initiative = lookups.initiative_or_404(key)
    return render_template("portfolio/show.html", initiative=initiative, live_since=since,
                           relations=service.relations_of(initiative), sections=service.initiative_sections(initiative),
                           relation_form=_relation_form(RelationForm(), initiative), empty_form=EmptyForm())


@bp.route("/initiatives/<key>/edit", methods=["GET", "POST"])
@facilitator_required
def edit(key: str):
    """Edit an initiative (facilitators); viewers of its page see the change live."""
    initiative = lookups.initiative_or_404(key)
    form = _initiative_form(InitiativeForm(obj=None if request.method == "POST" else initiative))
    if request.method == "GET":
        form.aims.data = "\n".join(initiative.aims or [])
        form.notes.data = "\n".join(initiative.notes or [])
        form.municipalities.data = [o.key for o in initiative.municipalities]
        form.challenges.data = [c.key for c in initiative.challenges]
    if form.validate_on_submit():
        service.update_initiative(initiative, _form_data(form))
        return redirect(url_for("portfolio.show", key=initiative.key), 303)
    return render_template("portfolio/edit.html", form=form, initiative=initiative), \
        422 if request.method == "POST" else 200


@bp.route("/initiatives/<key>/delete", methods=["GET", "POST"])
@facilitator_required
def delete(key: str):
    """Ask, then delete an initiative with its parts and relations (facilitators)."""
    initiative = lookups.initiative_or_404(key)
    form = EmptyForm()
    if form.validate_on_submit():
        service.delete_initiative(initiative)
        return redirect(url_for("portfolio.index"), 303)
    if request.method == "POST":
        abort(400)
    return render_template("portfolio/delete.html", initiative=initiative, form=form)


@bp.route("/initiatives/<key>/parts/new", methods=["GET", "POST"])
@facilitator_required
def part_create(key: str):
    """Add a part to an initiative (facilitators)."""
    initiative = lookups.initiative_or_404(key)
    form = PartForm()
    if request.method == "GET":
        form.n.data = max((p.n for p in initiative.parts), default=0) + 1
        form.status.data = "potential"
    return _save_part(initiative, form, None)


@bp.route("/initiatives/<key>/parts/<int:n>/edit", methods=["GET", "POST"])
@facilitator_required
def part_edit(key: str, n: int):
    """Edit a part of an initiative (facilitators)."""
    initiative = lookups.initiative_or_404(key)
    part = lookups.part_or_404(initiative, n)
    form = PartForm(obj=None if request.method == "POST" else part)
    return _save_part(initiative, form, part)


def _save_part(initiative, form: PartForm, part):
    if form.validate_on_submit():
        try:
            service.save_part(initiative, _form_data(form), part)
            return redirect(url_for("portfolio.show", key=initiative.key) + "#delar", 303)
        except service.PortfolioError as error:
            form.n.errors.append(str(error))
    status = 422 if request.method == "POST" else 200
    return render_template("portfolio/part_edit.html", form=form, initiative=initiative, part=part), status


@bp.post("/initiatives/<key>/parts/<int:n>/delete")
@facilitator_required
def part_delete(key: str, n: int):
    """Remove a part from an initiative (facilitators)."""
    initiative = lookups.initiative_or_404(key)
    part = lookups.part_or_404(initiative, n)
    if not EmptyForm().validate_on_submit():
        abort(400)
    service.delete_part(initiative, part)
    return redirect(url_for("portfolio.show", key=initiative.key) + "#delar", 303)


def _relation_form(form: RelationForm, initiative) -> RelationForm:
    others = db.session.scalars(service.initiatives_query()).all()
    form.to.choices = [SelectChoice("", _("Välj initiativ..."))] + [
        SelectChoice(i.key, i.name) for i in others if i.id != initiative.id]
    return form


@bp.post("/initiatives/<key>/relations")
@facilitator_required
def relation_create(key: str):
    """Record a strategic relation to another initiative (facilitators)."""
    initiative = lookups.initiative_or_404(key)
    form = _relation_form(RelationForm(), initiative)
    if form.validate_on_submit():
        try:
            service.add_relation(initiative, form.to.data, form.note.data or "")
            return redirect(url_for("portfolio.show", key=key) + "#relationer", 303)
        except service.PortfolioError as error:
            form.to.errors.append(str(error))
    return render_template("portfolio/show.html", initiative=initiative, live_since=live.latest_id(),
                           relations=service.relations_of(initiative), relation_form=form,
                           sections=service.initiative_sections(initiative),
                           empty_form=EmptyForm()), 422


@bp.post("/initiatives/<key>/relations/<int:relation_id>/delete")
@facilitator_required
def relation_delete(key: str, relation_id: int):
    """Remove a relation (facilitators)."""
    initiative = lookups.initiative_or_404(key)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not service.delete_relation(initiative, relation_id):
        abort(404)
    return redirect(url_for("portfolio.show", key=key) + "#relationer", 303)
