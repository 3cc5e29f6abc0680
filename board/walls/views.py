"""Wall pages: who may open a wall (the access every wall route goes through), the wall's page,
its list and the entry with a code, and the helpers the note and facilitation routes answer with
(board/walls/note_views.py, board/walls/facilitate_views.py). A view loads the wall (404), checks
who may act, calls one service function and answers: htmx gets fragments (the compose form, the
viewer's status), a plain form post a redirect.

Everything under the live region (`walls/_board.html`) is the same for every viewer. Per-viewer
things stay outside it or inside elements marked `hx-morph-skip`, which live morphs leave alone.
"""
from flask import abort, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from board import live, participants
from board.shared import public_url
from board.auth.forms import EmptyForm
from board.auth.permissions import login_required, require_login
from board.extensions import db, htmx
from board.portfolio import lookups as portfolio_lookups
from board.portfolio import service as portfolio
from board.walls import bp, live as wall_live, service
from board.walls.forms import AuthorForm, SectionForm, VoteForm, WallForm
from board.walls.models import AUTHOR_ORGS
from board.ratelimit import limited
from board.inputs import parse_id
from board.web import or_404

GRANTS = "walls"  # wall ids this browser entered with the wall's code (in the signed session)
GRANT_CODES = "wall_codes"  # wall id (as text) -> the code it was entered with
MAX_GRANTS = 20


# --- access ----------------------------------------------------------------------------------

def _entered(wall) -> bool:
    """Entered with the wall's current code: closing a code ends what it granted, and a new code
    grants only those who join with it."""
    return (wall.code is not None and wall.id in session.get(GRANTS, [])
            and session.get(GRANT_CODES, {}).get(str(wall.id)) == wall.code)


def _refuse_old_code(wall):
    """403 for a visitor who entered with a code that has since been closed, saying what to do; a
    fragment for htmx (shown where the action was), else a page; a live stream gets its bare 403."""
    if request.path.startswith("/live/"):
        abort(403)
    title = _("Koden är stängd")
    message = _("Koden du gick in med gäller inte längre. Skriv in den nya koden från facilitatorn för "
                "att skriva, reagera eller svara på väggen.") if wall.code else \
        _("Koden du gick in med gäller inte längre, så du kan inte skriva, reagera eller svara på väggen.")
    template = "errors/_message.html" if htmx else "errors/page.html"
    abort(make_response(render_template(template, status=403, title=title, message=message), 403))


def get_wall_or_404(wall_id: int):
    return or_404(service.get_wall(wall_id))


def load_wall(wall_id: int, need: str = "take_part"):
    """The wall, if this viewer may take part (or, need="manage", facilitate).
    :raise 404: no such wall. :raise 401: anonymous without access. :raise 403: not allowed."""
    wall = get_wall_or_404(wall_id)
    if need == "manage":
        require_login()
        if not service.can_manage(wall, current_user):
            abort(403)
    elif not service.can_take_part(wall, current_user, participants.current_token(), _entered(wall)):
        if wall.id in session.get(GRANTS, []):
            _refuse_old_code(wall)
        abort(401 if not wall.code else 403)
    return wall


def _authorize_stream(key: str) -> None:
    if parse_id(key) is None:
        abort(404)
    load_wall(parse_id(key))


bp.add_app_template_filter(lambda note: int(service.editable_until(note).timestamp()), "editable_until")


def signature() -> dict:
    """The name and organisation this viewer signs notes with (members: their own, by default)."""
    saved = session.get("wall_author")
    if saved is not None:
        return saved
    if current_user.is_authenticated:
        org = current_user.organisation.key if current_user.organisation else ""
        return {"name": (current_user.name or "").strip(), "org": org if org in AUTHOR_ORGS else ""}
    return {"name": "", "org": ""}


def state_for(wall, token=None, message=None, error=False) -> dict:
    return service.viewer_state(wall, current_user, token or participants.current_token(), message, error)


def note_or_404(wall, note_id: int):
    """A note this viewer may read (a note waiting to be revealed: its author and the managers)."""
    return or_404(service.readable_note(wall, note_id, current_user, participants.current_token()))


def section_or_404(wall, section_id: int):
    return or_404(service.section_of(wall, section_id))


def load_for_button(wall_id: int, need: str = "take_part"):
    """A button-only POST: check CSRF, then load the wall."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    return load_wall(wall_id, need)


def back_to_wall(wall, anchor: str = ""):
    return redirect(url_for("walls.show", wall_id=wall.id) + anchor, 303)


def status_line(wall, token, message=None, error=False, status=200):
    """The viewer's status line (their dots, what just happened) for #wall-me."""
    body = render_template("walls/_me.html", state=state_for(wall, token, message, error))
    return participants.with_cookie(make_response(body, status), token)


# --- pages -----------------------------------------------------------------------------------

@bp.route("/walls", methods=["GET", "POST"])
@login_required
def index():
    """Every wall, the initiatives' walls to open, and (facilitators) a new free wall."""
    form = WallForm()
    if request.method == "POST":
        if not current_user.is_facilitator:
            abort(403)
        if form.validate_on_submit():
            wall = service.create_wall(form.title.data, user=current_user)
            return back_to_wall(wall)
    walls = db.session.scalars(service.walls_query()).all()
    with_wall = {w.initiative_id for w in walls}
    initiatives = [i for i in db.session.scalars(portfolio.initiatives_query()) if i.id not in with_wall]
    return render_template("walls/index.html", walls=walls, initiatives=initiatives, form=form), \
        422 if request.method == "POST" else 200


@bp.route("/initiatives/<key>/wall", methods=["GET", "POST"])
@login_required
def for_initiative(key: str):
    """The initiative's wall. Until it has one, the page offers to open it: the POST creates it."""
    initiative = portfolio_lookups.initiative_or_404(key)
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        return back_to_wall(service.wall_for_initiative(initiative, current_user))
    wall = service.initiative_wall(initiative)
    if wall is None:
        return render_template("walls/initiative_wall.html", initiative=initiative)
    return back_to_wall(wall)


@bp.get("/w/<code>")
@limited("join")
def enter(code: str):
    """Enter a wall opened for a meeting with its code: no account needed."""
    wall = service.wall_by_code(code)
    if wall is None:
        abort(404)
    grants = [g for g in session.get(GRANTS, []) if g != wall.id][-(MAX_GRANTS - 1):]
    session[GRANTS] = grants + [wall.id]
    session[GRANT_CODES] = {str(g): code for g, code in session.get(GRANT_CODES, {}).items() if int(g) in grants} \
        | {str(wall.id): wall.code}
    token, fresh = participants.browser_token()
    return participants.with_cookie(back_to_wall(wall), fresh)


def wall_page(wall, token=None, status=200, **extra):
    since = live.latest_id()
    board = service.board_context(wall)
    author = signature()
    author_form = AuthorForm(formdata=None, name=author["name"], organisation=author["org"])
    context = dict(board, live_since=since, state=state_for(wall, token), csrf=generate_csrf(),
                   manage=service.can_manage(wall, current_user), author_form=author_form,
                   author_label=", ".join(filter(None, [author["name"], service.org_label(author["org"])])),
                   section_form=SectionForm(formdata=None), vote_form=VoteForm(formdata=None),
                   join_url=public_url("walls.enter", code=wall.code) if wall.code else None,
                   can_position=wall.has_positions and current_user.is_authenticated
                   and current_user.organisation_id is not None)
    context.update(extra)
    return participants.with_cookie(make_response(render_template("walls/show.html", **context), status), token)


@bp.get("/walls/<int:wall_id>")
def show(wall_id: int):
    """The wall: sections as columns, notes with reactions and replies, live for everyone."""
    wall = load_wall(wall_id)
    return wall_page(wall)


@bp.post("/walls/<int:wall_id>/author")
def author(wall_id: int):
    """Choose the name and organisation the viewer's next notes are signed with."""
    wall = load_wall(wall_id)
    form = AuthorForm()
    if not form.validate_on_submit():
        return wall_page(wall, status=422, author_form=form)
    session["wall_author"] = {"name": form.name.data or "", "org": form.organisation.data or ""}
    return back_to_wall(wall)
