"""What canvas services raise instead of answering HTTP themselves."""
from werkzeug.exceptions import Forbidden


class CanvasError(ValueError):
    """A change that cannot be made; the message (Swedish, or the viewer's language) is shown."""


class NotAllowed(Forbidden):
    """The user may not make this change here. A 403 if no view turns it into something else, so a
    service called from anywhere refuses the same way."""
