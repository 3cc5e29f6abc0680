from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from board.forms import TavlanForm

MAX_PAGE = 20000
MAX_DESCRIPTION = 2000


class PageForm(TavlanForm):
    body = TextAreaField(_l("Text"), validators=[
        DataRequired(_l("Skriv en text, eller återställ standardtexten.")),
        Length(max=MAX_PAGE, message=_l("Högst %(max)d tecken."))], render_kw={"rows": 24})


class ReportForm(TavlanForm):
    description = TextAreaField(_l("Beskriv problemet"), validators=[
        DataRequired(_l("Beskriv problemet du stötte på.")),
        Length(max=MAX_DESCRIPTION, message=_l("Högst %(max)d tecken."))],
        render_kw={"rows": 5, "maxlength": MAX_DESCRIPTION})
    where = StringField(_l("Var i Tavlan? (frivilligt)"), validators=[
        Optional(), Length(max=300, message=_l("Högst %(max)d tecken."))], render_kw={"maxlength": 300})
    contact_email = EmailField(_l("Din e-postadress, om du vill ha svar (frivilligt)"), validators=[
        Optional(), Length(max=254, message=_l("E-postadressen är för lång.")),
        Email(_l("Det där ser inte ut som en e-postadress."), check_deliverability=False)],
        render_kw={"autocomplete": "email", "maxlength": 254})
