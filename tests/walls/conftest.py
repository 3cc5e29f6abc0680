import pytest

from board.walls import service
from tests import factories


@pytest.fixture
def wall(app):
    """An initiative's wall: a section per part ("Del 1", "Del 2") and "Övrigt"."""
    return service.wall_for_initiative(factories.make_initiative(key="uvas", name="Unga vuxna"))


@pytest.fixture
def portfolio_wall(app):
    for key, name in [("vasteras", "Västerås stad"), ("eskilstuna", "Eskilstuna kommun"),
                      ("mdu", "Mälardalens universitet")]:
        factories.make_organisation(key, name)
    return service.ensure_portfolio_wall("Portföljen inför 2025", [
        "Vilka initiativ ser ni som strategiskt att fortsätta driva?",
        "Vad ser ni för gap och framtida potential i portföljen?",
        "Vilka initiativ bör plockas bort för att ge plats åt andra?"])


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield
