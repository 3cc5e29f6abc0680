"""The facilitator's audit page: permissions, newest first, filters, pages of 50."""
from datetime import datetime, timezone

import pytest

from board import audit
from board.audit.service import actor_label
from board.audit.models import AuditEntry
from board.extensions import db
from tests import factories


@pytest.mark.parametrize("role, status", [("anonymous", 302), ("member", 403)])
def test_only_facilitators_see_the_audit_log(as_role, role, status):
    response = as_role(role).get("/audit")
    assert response.status_code == status


def test_members_have_no_link_to_the_audit_log_and_facilitators_do(as_role):
    assert "/audit" not in as_role("member").get("/initiatives").get_data(as_text=True)
    assert 'href="/audit"' in as_role("facilitator").get("/initiatives").get_data(as_text=True)


def _entry(action, target, summary, actor, at):
    # Written directly with its time: the guard refuses to change `at` after the insert.
    db.session.add(AuditEntry(action=action, target=target, summary=summary, at=at, actor_id=actor.id,
                              actor_label=actor_label(actor)))
    db.session.commit()


def test_the_log_lists_newest_first_and_filters(as_role):
    facilitator = as_role("facilitator")
    other = factories.make_user(role="facilitator", name="Cia Exempel")
    _entry("answer.hide", "session:1", "Dolde ett svar i 'Styrgrupp mars'", facilitator.user,
           datetime(2026, 11, 1, 9, tzinfo=timezone.utc))
    _entry("note.delete", "wall:3", "Raderade en lapp på väggen 'Idéer'", other,
           datetime(2026, 11, 10, 9, tzinfo=timezone.utc))
    _entry("canvas.lock", "canvas:5", "Låste kanvasen 'Karta'", other,
           datetime(2026, 11, 20, 9, tzinfo=timezone.utc))

    page = facilitator.get("/audit").get_data(as_text=True)
    assert page.index("Låste kanvasen") < page.index("Raderade en lapp") < page.index("Dolde ett svar")
    assert "<caption>" in page

    def shown(query):
        response = facilitator.get("/audit?" + query)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        return [s for s in ("Dolde ett svar", "Raderade en lapp", "Låste kanvasen") if s in body]

    assert shown("action=note.delete") == ["Raderade en lapp"]
    assert shown(f"actor={other.id}") == ["Raderade en lapp", "Låste kanvasen"]
    assert shown("target=canvas:") == ["Låste kanvasen"]
    assert shown("since=2026-11-05&until=2026-11-10") == ["Raderade en lapp"]
    assert shown("until=2026-11-01") == ["Dolde ett svar"]
    assert shown("action=note.delete&actor=" + str(facilitator.user.id)) == []


def test_a_bad_date_is_explained_not_a_500(as_role):
    response = as_role("facilitator").get("/audit?since=igår")
    assert response.status_code == 422
    assert "ÅÅÅÅ-MM-DD" in response.get_data(as_text=True)


def test_the_log_is_paged_by_50(as_role):
    facilitator = as_role("facilitator")
    for n in range(120):
        audit.record("note.delete", f"note:{n}", f"Raderade lapp nummer {n:03d}.")
    db.session.commit()
    first = facilitator.get("/audit").get_data(as_text=True)
    assert "nummer 119." in first and "nummer 070." in first and "nummer 069." not in first
    assert "Sida 1 av 3" in first
    third = facilitator.get("/audit?page=3&action=note.delete").get_data(as_text=True)
    assert "nummer 019." in third and "nummer 000." in third and "nummer 020." not in third
    assert 'rel="prev"' in third and 'rel="next"' not in third


@pytest.mark.parametrize("query", ["actor=99999999999999999999", "actor=abc", "page=99999999999999999999",
                                   "page=-3", "target=%00session:1", "until=9999-12-31", "since=0001-01-01",
                                   "action=" + "x" * 500, "since=2026-13-45"])
def test_odd_filters_give_an_answer_not_a_500(as_role, query):
    response = as_role("facilitator").get("/audit?" + query)
    assert response.status_code in (200, 422)
    assert "<caption>" in response.get_data(as_text=True)
