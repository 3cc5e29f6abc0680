from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from board.forms import TavlanForm, form_data


class LoginForm(FlaskForm):  # not a TavlanForm: a password is taken exactly as typed
    class Meta(FlaskForm.Meta):
        wrap_formdata = form_data

    email = EmailField(_l("E-postadress"), validators=[
        DataRequired(_l("Skriv din e-postadress.")),
        Length(max=254, message=_l("E-postadressen är för lång.")),
        Email(_l("Det där ser inte ut som en e-postadress."), check_deliverability=False)])
    password = PasswordField(_l("Lösenord"), validators=[
        DataRequired(_l("Skriv ditt lösenord.")), Length(max=512, message=_l("Lösenordet är för långt."))])
    next = HiddenField()


class PasswordForm(FlaskForm):  # passwords are taken exactly as typed, like at login
    class Meta(FlaskForm.Meta):
        wrap_formdata = form_data

    current = PasswordField(_l("Nuvarande lösenord"), render_kw={"autocomplete": "current-password"}, validators=[
        DataRequired(_l("Skriv ditt nuvarande lösenord.")), Length(max=512, message=_l("Lösenordet är för långt."))])
    new = PasswordField(_l("Nytt lösenord"), render_kw={"autocomplete": "new-password"},
                        validators=[DataRequired(_l("Skriv ett nytt lösenord."))])
    again = PasswordField(_l("Nytt lösenord igen"), render_kw={"autocomplete": "new-password"}, validators=[
        EqualTo("new", message=_l("Lösenorden är inte lika. Skriv samma nya lösenord två gånger."))])


class EmptyForm(TavlanForm):
    """A form with only the CSRF token, for button-only POSTs such as logging out."""
