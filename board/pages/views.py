from board.pages import bp  # noqa: F401
from board.pages import models  # noqa: F401
