"""Export everything and erase for good, per session, wall and canvas (documents.py, erase.py);
`flask --app wsgi restore FILE` recreates an object from an export (board/cli.py). What each kind
of object holds comes from its feature's archive.py (specs.py), never from here."""
from flask import Blueprint, Flask
from werkzeug.routing import AnyConverter

bp = Blueprint("archive", __name__)


@bp.record_once
def _kinds_in_urls(state) -> None:
    """`<archived:plural>` matches the URL segment of every registered kind of document, and
    nothing else (an unknown one is a 404 as for any other missing page): the features' parts
    must be registered before this blueprint is."""
    from board.archive.specs import EXTENSION

    registry = state.app.extensions.get(EXTENSION)
    if registry is None or not registry.documents:
        raise RuntimeError("register the features' archive parts before the archive blueprint")
    plurals = [doc.plural for doc in registry.documents.values()]

    class Archived(AnyConverter):
        def __init__(self, map, *args, **kwargs):
            super().__init__(map, *plurals)

    state.app.url_map.converters["archived"] = Archived


from board.archive import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """Export, restore and erase of what the features registered (each feature's init_app
    registers its archive part first: the blueprint's URLs name their kinds)."""
    app.register_blueprint(bp)
