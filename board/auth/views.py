import time

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from board.auth import bp, login_sessions, service
from board.auth.forms import EmptyForm, LoginForm, PasswordForm
from board.auth.models import User
from board.auth.permissions import login_required
from board.extensions import login_manager
from board.i18n import safe_next
from board.ratelimit import limited
from board.inputs import parse_id


SESSION_TOKEN = "_login"  # the session cookie's key for the login's token (board/auth/login_sessions.py)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the user of a session whose login is still open on the server: logout, a new password
    and "Logga ut överallt" end it, however the cookie was kept (one indexed lookup)."""
    ident, _sep, stamp = user_id.partition(":")
    if (number := parse_id(ident)) is None:
        return None
    user = login_sessions.load(number, session.get(SESSION_TOKEN))
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
            session[SESSION_TOKEN] = login_sessions.start(verdict.user)
            login_user(verdict.user)
            _tell_of_failed_attempts(verdict)
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
    login_sessions.end(session.get(SESSION_TOKEN))
    logout_user()
    _renew_session()
    return redirect(url_for("portfolio.home"), 303)


def _tell_of_failed_attempts(verdict: service.LoginVerdict) -> None:
    """Tell the owner, on the page after login, how many wrong passwords were given for their
    account since they last logged in (no e-mail needed: the notice is where they are)."""
    if verdict.failed_since and verdict.last_failed_at:
        flash(ngettext("Sedan du senast loggade in har någon försökt logga in på ditt konto med fel lösenord "
                       "%(num)d gång, senast %(when)s. Var det inte du, byt lösenord och välj Logga ut överallt.",
                       "Sedan du senast loggade in har någon försökt logga in på ditt konto med fel lösenord "
                       "%(num)d gånger, senast %(when)s. Var det inte du, byt lösenord och välj Logga ut överallt.",
                       verdict.failed_since, when=format_datetime(verdict.last_failed_at, "short")), "warning")


def _account_page(password_form: PasswordForm, status: int = 200):
    return render_template("auth/account.html", form=EmptyForm(), password_form=password_form,
                           open_logins=login_sessions.count(current_user)), status


@bp.get("/konto")
@login_required
def account():
    """The account page: who is logged in, how many logins are open, a new password, and
    "Logga ut överallt"."""
    return _account_page(PasswordForm(formdata=None))


@bp.post("/konto/losenord")
@login_required
def change_password():
    """Change one's own password: every login ends, on every device, and this browser gets a new one."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            service.change_password(user, form.current.data, form.new.data)
        except service.AccountError as error:
            form.form_errors.append(str(error))
        else:
            _renew_session()
            session[SESSION_TOKEN] = login_sessions.start(user)
            login_user(user)
            flash(_("Ditt lösenord är bytt. Du är utloggad på alla andra enheter."), "success")
            return redirect(url_for("auth.account"), 303)
    return _account_page(form, 422)


@bp.post("/konto/logga-ut-overallt")
@login_required
def logout_everywhere():
    """End every login of the current user, on every device, this one too."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    login_sessions.end_all(current_user)
    logout_user()
    _renew_session()
    flash(_("Du är utloggad på alla enheter. Logga in igen här."), "success")
    return redirect(url_for("auth.login"), 303)
