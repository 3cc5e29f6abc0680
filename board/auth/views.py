import time

from flask import abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from board.auth import bp, service
from board.auth.forms import EmptyForm, LoginForm
from board.auth.models import User
from board.extensions import db, login_manager
from board.i18n import safe_next
from board.ratelimit import limited
from board.inputs import parse_id


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the user of a session; a changed password (auth stamp) ends old sessions."""
    ident, _sep, stamp = user_id.partition(":")
    if parse_id(ident) is None:
        return None
    user = db.session.get(User, parse_id(ident))
    if user is None or str(user.auth_stamp) != stamp:
        return None
    return user


def _renew_session() -> None:
    """Start a fresh session at login and logout: nothing from before carries over (not the CSRF
    token, not a value planted by someone who had the browser before), only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
@limited("login")
def login():
    """Log in with e-mail and password; a burst of wrong passwords is slowed, then refused."""
    if current_user.is_authenticated:
        return redirect(url_for("portfolio.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        verdict = service.authenticate(form.email.data, form.password.data, request.remote_addr or "-")
        if verdict.refused_for:
            minutes = max(1, round(verdict.refused_for / 60))
            form.form_errors.append(ngettext("För många misslyckade försök. Vänta %(num)d minut och försök igen.",
                                             "För många misslyckade försök. Vänta %(num)d minuter och försök igen.",
                                             minutes))
            return render_template("auth/login.html", form=form), 429, \
                {"Retry-After": str(verdict.refused_for)}
        if verdict.user:
            _renew_session()
            login_user(verdict.user)
            return redirect(safe_next(form.next.data) or url_for("portfolio.home"), 303)
        time.sleep(verdict.delay)
        form.form_errors.append(_("Fel e-postadress eller lösenord."))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Log out (a POST with the CSRF token, so no other site can log a user out)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    logout_user()
    _renew_session()
    return redirect(url_for("portfolio.home"), 303)
