"""'Kräv inloggning' on a session: a phone without an account gets a message and a way to log in
that comes back to the session; a logged-in account answers once (a second answer changes the
first), still without its account stored with the answer; the setting travels with an export."""
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.feedback import service, transfer
from board.feedback.models import Answer, FeedbackSession, Participant
from tests import factories
from tests.conftest import Actor
from tests.feedback.html_text import Page


@pytest.fixture
def facilitator(as_role):
    return as_role("facilitator")


def login_session(**kw):
    session = service.create_session("Val av spår", pacing="self", require_login=True, **kw)
    item = service.save_item(session, {"kind": "choice", "title": "Vilket spår?", "options": ["A", "B", "C"]})
    return session, item


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_the_facilitator_turns_on_kräv_inloggning_in_the_session_form(app, facilitator):
    created = facilitator.post("/sessions", {"title": "Val", "pacing": "self", "initiative": "",
                                             "require_login": "y", "retention_action": "anonymise",
                                             "retention_months": "12"})
    assert created.status_code == 303, created.get_data(as_text=True)[:400]
    session = db.session.scalar(select(FeedbackSession))
    assert session.require_login is True
    form = Page(facilitator.get(f"/sessions/{session.id}/edit").get_data(as_text=True))
    assert any(t.startswith("Kräv inloggning") for t in form.texts("label"))
    edited = facilitator.post(f"/sessions/{session.id}/edit", {"title": "Val", "pacing": "self", "initiative": "",
                                                                "retention_action": "anonymise",
                                                                "retention_months": "12"})
    assert edited.status_code == 303
    db.session.refresh(session)
    assert session.require_login is False


def test_a_phone_without_an_account_is_told_to_log_in_and_comes_back(app):
    session, item = login_session()
    phone = Actor(app)
    response = phone.get(f"/j/{session.code}")
    assert response.status_code == 401
    page = Page(response.get_data(as_text=True))
    assert "Den här sessionen kräver inloggning: varje konto svarar en gång." in page.texts("p")
    assert not any(href.startswith(f"/j/{session.code}/items") for href in page.attribute_values)  # no answer form
    login = next(href for href, text in page.links if text == "Logga in för att svara")
    assert urlsplit(login).path == "/login" and parse_qs(urlsplit(login).query)["next"] == [f"/j/{session.code}"]
    # Posting anyway stores nothing and says the same, in place for htmx.
    for htmx in (False, True):
        refused = phone.post(f"/j/{session.code}/items/{item.id}", {"option": str(item.option_ids[0])}, htmx=htmx)
        assert refused.status_code == 401
        assert "Den här sessionen kräver inloggning: varje konto svarar en gång." in Page(
            refused.get_data(as_text=True)).texts("p")
    assert count(Answer) == 0 and count(Participant) == 0

    user = factories.make_user()
    back = phone.post(f"/login?next=/j/{session.code}", {"email": user.email, "password": factories.PASSWORD,
                                                          "next": f"/j/{session.code}"})
    assert back.status_code == 303 and back.headers["Location"] == f"/j/{session.code}"
    assert phone.get(f"/j/{session.code}").status_code == 200


def test_one_account_gives_one_answer_and_a_second_changes_it(app):
    session, item = login_session()
    user = factories.make_user()
    first_phone, second_phone = Actor(app).login(user), Actor(app).login(user)
    a, b, c = item.option_ids
    assert first_phone.post(f"/j/{session.code}/items/{item.id}", {"option": str(a)}).status_code == 303
    assert second_phone.post(f"/j/{session.code}/items/{item.id}", {"option": str(b)}, htmx=True).status_code == 200
    assert first_phone.post(f"/j/{session.code}/items/{item.id}", {"option": str(c)}).status_code == 303
    answers = db.session.scalars(select(Answer)).all()
    assert [a.value for a in answers] == [[c]]
    # Another account is another answer; neither participant is linked to its account.
    other = Actor(app).login(factories.make_user())
    assert other.post(f"/j/{session.code}/items/{item.id}", {"option": str(a)}).status_code == 303
    assert count(Answer) == 2
    people = db.session.scalars(select(Participant)).all()
    assert len(people) == 2 and all(p.user_id is None for p in people)
    # The account's own page shows its answer, from either device.
    page = Page(second_phone.get(f"/j/{session.code}/mina").get_data(as_text=True))
    assert page.texts("p").count("C") == 1 and any("Vilket spår?" in t for t in page.texts("li"))


def test_kräv_inloggning_travels_through_export_and_import(app, facilitator):
    session, _item = login_session()
    doc = transfer.export_session(session)
    assert doc["require_login"] is True
    assert transfer.import_session(doc).require_login is True
    doc["require_login"] = "ja"
    with pytest.raises(transfer.InvalidSession) as problem:
        transfer.import_session(doc)
    assert problem.value.errors == ["require_login: måste vara true eller false"]
