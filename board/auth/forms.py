from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-postadress"), validators=[
        DataRequired(_l("Skriv din e-postadress.")),
        Length(max=254, message=_l("E-postadressen är för lång.")),
        Email(_l("Det där ser inte ut som en e-postadress."), check_deliverability=False)])
    password = PasswordField(_l("Lösenord"), validators=[
        DataRequired(_l("Skriv ditt lösenord.")), Length(max=512, message=_l("Lösenordet är för långt."))])
    next = HiddenField()


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for button-only POSTs such as logging out."""
