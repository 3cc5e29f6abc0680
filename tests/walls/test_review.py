"""Review by the arbetsgrupp (issue 5): who may review, hide and delete; statuses with who and
when; tags; clusters; actions on the initiative page; filters and search; the downloads."""
import csv
import html.parser
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from board.extensions import db
from board.walls import exports, review, service
from board.walls.models import Action, Cluster, Note, Tag, WallLog
from tests import factories

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture
def reviewer(as_role, wall):
    return as_role("arbetsgrupp:uvas")


def _url(wall, rest=""):
    return f"/walls/{wall.id}/review{rest}"


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- access ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["", "/notes/{note}/status", "/notes/{note}/tags", "/notes/{note}/hide",
                                  "/group", "/actions"])
@pytest.mark.parametrize("role", ["anonymous", "member", "arbetsgrupp:annat"])
def test_only_the_arbetsgrupp_and_facilitators_may_review(wall, as_role, role, path):
    note = service.post_note(wall, "Lapp")
    actor = as_role(role)
    url = _url(wall, path.format(note=note.id))
    response = actor.get(url) if not path else actor.post(url, {"status": "behandlad", "name": "x", "note": note.id})
    if role == "anonymous":  # sent to log in (a page) or refused (a form post without a session)
        assert response.status_code in (302, 303, 400, 401)
    else:
        assert response.status_code == 403
    db.session.refresh(note)
    assert note.status == "ny" and not note.tags and not note.hidden and note.cluster_id is None


@pytest.mark.parametrize("url", ["/walls/{w}/export.csv", "/walls/{w}/export.xlsx", "/walls/{w}/summary.md"])
def test_members_cannot_download_a_wall(wall, as_role, url):
    service.post_note(wall, "Hemligt")
    assert as_role("member").get(url.format(w=wall.id)).status_code == 403
    assert as_role("arbetsgrupp:uvas").get(url.format(w=wall.id)).status_code == 200


def test_the_arbetsgrupp_sees_hidden_notes_with_who_and_why_members_do_not(wall, as_role, reviewer):
    note = service.post_note(wall, "Olämplig lapp")
    facilitator = as_role("facilitator")
    response = facilitator.post(_url(wall, f"/notes/{note.id}/hide"), {"reason": "Personuppgifter"}, htmx=True)
    assert response.status_code == 200 and "Lappen är dold." in _text(response)
    member_view = _text(as_role("member").get(f"/walls/{wall.id}"))
    assert "Olämplig lapp" not in member_view
    html = _text(reviewer.get(_url(wall)))
    assert "Olämplig lapp" in html and "Dold på väggen" in html
    assert f"Dold av {facilitator.user.display_name}: Personuppgifter" in html
    entry = db.session.scalar(select(WallLog).where(WallLog.note_id == note.id))
    assert (entry.kind, entry.detail, entry.user_id) == ("hide", "Personuppgifter", facilitator.user.id)
    reviewer.post(_url(wall, f"/notes/{note.id}/hide"), {"show": "1"})
    assert "Olämplig lapp" in _text(as_role("member").get(f"/walls/{wall.id}"))


def test_only_facilitators_delete_softly_with_a_reason_and_a_log(wall, as_role, reviewer):
    note = service.post_note(wall, "Ska bort", user=factories.make_user())
    assert "Ta bort…" not in _text(reviewer.get(_url(wall)))
    assert reviewer.get(_url(wall, f"/notes/{note.id}/delete")).status_code == 403
    assert reviewer.post(_url(wall, f"/notes/{note.id}/delete"), {"reason": "x"}).status_code == 403
    assert reviewer.post(f"/walls/{wall.id}/notes/{note.id}/delete").status_code == 403  # nor on the wall
    db.session.refresh(note)
    assert note.deleted_at is None

    facilitator = as_role("facilitator")
    assert "Ta bort…" in _text(facilitator.get(_url(wall)))
    confirm = facilitator.get(_url(wall, f"/notes/{note.id}/delete"))
    assert confirm.status_code == 200 and "Ta bort lappen?" in _text(confirm) and "Ska bort" in _text(confirm)
    db.session.refresh(note)
    assert note.deleted_at is None  # asking is not deleting
    response = facilitator.post(_url(wall, f"/notes/{note.id}/delete"), {"reason": "Dubblett", "back": "status=ny"})
    assert response.status_code == 303 and response.headers["Location"].endswith(_url(wall) + "?status=ny")
    db.session.refresh(note)
    assert note.deleted_at and note.deleted_by_id == facilitator.user.id and note.deleted_reason == "Dubblett"
    assert db.session.scalar(select(WallLog.kind).where(WallLog.note_id == note.id)) == "delete"
    assert db.session.get(Note, note.id) is not None  # kept
    assert "Ska bort" not in _text(facilitator.get(_url(wall)))


# --- statuses, tags, clusters, actions -------------------------------------------------------

def test_a_status_records_who_set_it_and_when(wall, reviewer):
    note = service.post_note(wall, "Lapp")
    response = reviewer.post(_url(wall, f"/notes/{note.id}/status"), {"status": "parkerad"}, htmx=True)
    assert response.status_code == 200 and "Status sparad: Parkerad." in _text(response)
    assert "<html" not in _text(response)
    db.session.refresh(note)
    assert note.status == "parkerad" and note.status_by_id == reviewer.user.id and note.status_at is not None
    assert f"Status satt av {reviewer.user.display_name}" in _text(reviewer.get(_url(wall)))
    response = reviewer.post(_url(wall, f"/notes/{note.id}/status"), {"status": "klar"}, htmx=True)
    assert response.status_code == 422 and "Välj en status i listan." in _text(response)
    db.session.refresh(note)
    assert note.status == "parkerad"
    plain = reviewer.post(_url(wall, f"/notes/{note.id}/status"), {"status": "behandlad", "back": "q=lapp"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith(_url(wall) + "?q=lapp#review-note-%d" % note.id)


def test_tags_are_shared_on_the_wall_whatever_the_case_and_removed_when_unused(wall, reviewer):
    first, second = service.post_note(wall, "Ett"), service.post_note(wall, "Två")
    assert reviewer.post(_url(wall, f"/notes/{first.id}/tags"), {"name": "Skalning"}, htmx=True).status_code == 200
    assert reviewer.post(_url(wall, f"/notes/{second.id}/tags"), {"name": "  skalning "}, htmx=True).status_code == 200
    tags = db.session.scalars(select(Tag)).all()
    assert [t.name for t in tags] == ["Skalning"]
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.tags == second.tags == tags
    for bad, message in [("", "Skriv en tagg."), ("x" * 61, "Högst 60 tecken.")]:
        response = reviewer.post(_url(wall, f"/notes/{first.id}/tags"), {"name": bad}, htmx=True)
        assert response.status_code == 422 and message in _text(response)
    tag = tags[0]
    reviewer.post(_url(wall, f"/notes/{first.id}/tags/{tag.id}/remove"), htmx=True)
    assert db.session.get(Tag, tag.id) is not None  # still on the second note
    reviewer.post(_url(wall, f"/notes/{second.id}/tags/{tag.id}/remove"), htmx=True)
    assert db.session.scalars(select(Tag)).all() == []


def test_three_notes_are_grouped_into_a_named_cluster_and_one_moves_to_another(wall, reviewer):
    notes = [service.post_note(wall, f"Lapp {n}") for n in range(4)]
    response = reviewer.post(_url(wall, "/group"), {"name": "Styrning", "note": [n.id for n in notes[:3]]}, htmx=True)
    assert response.status_code == 200 and "3 lappar i gruppen ”Styrning”." in _text(response)
    cluster = db.session.scalar(select(Cluster))
    assert cluster.name == "Styrning" and cluster.created_by_id == reviewer.user.id
    for note in notes:
        db.session.refresh(note)
    assert [n.cluster_id for n in notes] == [cluster.id] * 3 + [None]
    html = _text(reviewer.get(_url(wall)))
    assert re.search(r'id="cluster-\d+".*Styrning.*\(3 lappar\).*Lapp 0.*Lapp 1.*Lapp 2', html, re.S)

    reviewer.post(_url(wall, "/group"), {"name": "Skola", "note": [notes[0].id, notes[3].id]})
    db.session.refresh(notes[0])
    assert notes[0].cluster_id != cluster.id  # a note is in at most one cluster
    reviewer.post(_url(wall, "/group"), {"cluster": cluster.id, "note": [notes[3].id]})
    db.session.refresh(notes[3])
    assert notes[3].cluster_id == cluster.id


@pytest.mark.parametrize("data, message", [
    ({"name": "Styrning"}, "Välj minst en lapp att gruppera."),
    ({"name": "", "note": ["{n}"]}, "Ge gruppen ett namn eller välj en befintlig grupp."),
    ({"name": "x" * 121, "note": ["{n}"]}, "Högst 120 tecken."),
])
def test_grouping_without_notes_or_a_name_says_so_and_stores_nothing(wall, reviewer, data, message):
    note = service.post_note(wall, "Lapp")
    data = {k: [v.format(n=note.id) for v in value] if isinstance(value, list) else value for k, value in data.items()}
    response = reviewer.post(_url(wall, "/group"), data, htmx=True)
    assert response.status_code == 422 and message in _text(response)
    assert db.session.scalars(select(Cluster)).all() == []
    plain = reviewer.post(_url(wall, "/group"), data)
    assert plain.status_code == 422 and "<html" in _text(plain) and message in _text(plain)


def test_an_action_with_owner_and_date_is_listed_on_the_initiative_page_until_done(wall, reviewer, as_role):
    note = service.post_note(wall, "Bjud in forskare")
    due = (date.today() + timedelta(days=14)).isoformat()
    response = reviewer.post(_url(wall, "/actions"), {"note": note.id, "title": "Boka möte med MDU",
                                                      "owner": reviewer.user.id, "due_on": due}, htmx=True)
    assert response.status_code == 200 and "Åtgärden är sparad." in _text(response)
    action = db.session.scalar(select(Action))
    assert (action.owner_id, action.due_on.isoformat(), action.note_id) == (reviewer.user.id, due, note.id)
    db.session.refresh(note)
    assert note.status == "atgard" and note.status_by_id == reviewer.user.id
    cluster = review.group(wall, [note], reviewer.user, name="Forskning")
    reviewer.post(_url(wall, "/actions"), {"cluster": cluster.id, "title": "Skriv <b>sammanfattning</b>",
                                           "owner_name": "Extern Person", "due_on": "2020-01-01"})

    page = _text(as_role("member").get(f"/initiatives/{wall.initiative.key}"))
    assert "Öppna åtgärder" in page and "Boka möte med MDU" in page and reviewer.user.display_name in page
    assert "Skriv &lt;b&gt;sammanfattning&lt;/b&gt;" in page and "(försenad)" in page
    assert "Till granskningen" not in page  # a member may not review
    assert "Till granskningen" in _text(reviewer.get(f"/initiatives/{wall.initiative.key}"))
    reviewer.post(_url(wall, f"/actions/{action.id}/done"), htmx=True)
    page = _text(as_role("member").get(f"/initiatives/{wall.initiative.key}"))
    assert "Boka möte med MDU" not in page and "Skriv &lt;b&gt;" in page


@pytest.mark.parametrize("data, message", [
    ({"title": "", "owner_name": "A", "due_on": "2025-01-01"}, "Skriv vad som ska göras."),
    ({"title": "Gör", "due_on": "2025-01-01"}, "Välj en ansvarig eller skriv ett namn."),
    ({"title": "Gör", "owner_name": "A", "due_on": ""}, "Ange ett datum då det ska vara klart."),
    ({"title": "Gör", "owner_name": "A", "due_on": "31/12"}, "Skriv datumet som ÅÅÅÅ-MM-DD."),
    ({"title": "Gör", "owner": "999999", "due_on": "2025-01-01"}, "Välj en ansvarig i listan."),
    ({"title": "x" * 301, "owner_name": "A", "due_on": "2025-01-01"}, "Högst 300 tecken."),
])
def test_a_bad_action_is_refused_with_a_swedish_message(wall, reviewer, data, message):
    note = service.post_note(wall, "Lapp")
    response = reviewer.post(_url(wall, "/actions"), {"note": note.id, **data}, htmx=True)
    assert response.status_code == 422 and message in _text(response)
    assert db.session.scalars(select(Action)).all() == []
    db.session.refresh(note)
    assert note.status == "ny"


# --- filters ---------------------------------------------------------------------------------

@pytest.fixture
def varied(wall, reviewer):
    """Notes from two sections, two organisations, the wall and a feedback session."""
    first, other = wall.sections[0], wall.sections[-1]
    notes = {
        "ost": service.post_note(wall, "Ökad samverkan med ÖSTRA skolan", section=first, author_org="vasteras"),
        "mdu": service.post_note(wall, "Forskning behövs", section=other, author_org="mdu", author_name="Åsa"),
        "sess": service.post_note(wall, "Från mötet", source_kind="session", source_session_id=7,
                                  source_label="Core Team – Vad behöver initiativet?", source_date=date(2024, 11, 22)),
    }
    review.set_status(notes["mdu"], "parkerad", reviewer.user)
    review.add_tag(notes["ost"], "Skalning")
    notes["mdu"].created_at = notes["mdu"].created_at - timedelta(days=30)
    db.session.commit()
    return notes


def _shown(reviewer, wall, query) -> set[str]:
    html = _text(reviewer.get(_url(wall, "?" + query), headers=HX))
    return {key for key, text in [("ost", "Ökad samverkan"), ("mdu", "Forskning behövs"), ("sess", "Från mötet")]
            if f">{text}" in html}


@pytest.mark.parametrize("query, expected", [
    ("", {"ost", "mdu", "sess"}),
    ("q=östra", {"ost"}),
    ("q=ÖKAD+SAMVERKAN", {"ost"}),
    ("q=åsa", {"mdu"}),
    ("q=skalning", {"ost"}),
    ("q=vad+behöver", {"sess"}),
    ("org=mdu", {"mdu"}),
    ("org=none", {"sess"}),
    ("status=parkerad", {"mdu"}),
    ("status=ny", {"ost", "sess"}),
    ("source=wall", {"ost", "mdu"}),
    ("source=session:7", {"sess"}),
])
def test_filters_and_search_with_swedish_letters(wall, reviewer, varied, query, expected):
    assert _shown(reviewer, wall, query) == expected


def test_filters_by_section_tag_and_date(wall, reviewer, varied):
    assert _shown(reviewer, wall, f"section={wall.sections[0].id}") == {"ost"}
    tag = db.session.scalar(select(Tag))
    assert _shown(reviewer, wall, f"tag={tag.id}") == {"ost"}
    today = date.today()
    assert _shown(reviewer, wall, f"from={(today - timedelta(days=1)).isoformat()}") == {"ost", "sess"}
    assert _shown(reviewer, wall, f"to={(today - timedelta(days=20)).isoformat()}") == {"mdu"}


def test_the_review_page_and_its_fragment(wall, reviewer, varied):
    page = reviewer.get(_url(wall, "?q=östra"))
    assert page.status_code == 200 and "<html" in _text(page) and 'value="östra"' in _text(page)
    assert 'hx-push-url="true"' in _text(page) and "HX-Request-Type" in page.headers["Vary"]
    fragment = reviewer.get(_url(wall, "?q=östra"), headers=HX)
    assert "<html" not in _text(fragment) and 'id="review-region"' in _text(fragment)


@pytest.mark.parametrize("query, message", [
    ("from=2024-13-01", "Skriv datumet som ÅÅÅÅ-MM-DD."),
    ("status=klar", "Välj en status i listan."),
    ("section=abc", "Välj en sektion i listan."),
    ("source=session:99", "Välj en källa i listan."),
    ("from=2024-05-01&to=2024-04-01", "Slutdatumet ligger före startdatumet."),
])
def test_a_bad_filter_is_explained_not_a_500(wall, reviewer, varied, query, message):
    response = reviewer.get(_url(wall, "?" + query))
    assert response.status_code == 422 and message in _text(response)


# --- downloads -------------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tTAB"]


def test_csv_and_xlsx_have_one_row_per_note_and_reply_with_formulas_neutralised(wall, reviewer):
    notes = [service.post_note(wall, text, author_name="=cmd", author_org="mdu") for text in FORMULAS[:4]]
    service.post_note(wall, "Ett svar", parent=notes[0], author_name="Bo")
    review.add_tag(notes[1], "Skola")
    review.group(wall, [notes[1]], reviewer.user, name="Grupp A")
    response = reviewer.get(f"/walls/{wall.id}/export.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(_text(response).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert len(body) == 5 and header[:4] == ["Nr", "Svar på", "Sektion", "Källa"]
    texts = [row[header.index("Text")] for row in body]
    assert texts == ["'" + FORMULAS[0], "Ett svar"] + ["'" + t for t in FORMULAS[1:4]]  # a reply follows its note
    assert all(row[header.index("Namn")] in ("'=cmd", "Bo") for row in body)
    row = body[[r[0] for r in body].index(str(notes[1].id))]
    assert row[header.index("Taggar")] == "Skola" and row[header.index("Grupp")] == "Grupp A"
    assert row[header.index("Organisation")] == "Mälardalens universitet"

    book = load_workbook(io.BytesIO(reviewer.get(f"/walls/{wall.id}/export.xlsx").data))
    sheet = book.active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert len(values) == 6 and all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    texts = [row[values[0].index("Text")] for row in values[1:]]
    assert texts == [FORMULAS[0], "Ett svar", *FORMULAS[1:4]]  # exactly as typed: a string cell is never run
    assert {sheet.cell(row=r, column=values[0].index("Namn") + 1).data_type for r in range(2, 7)} == {"s"}


def test_authors_are_left_out_of_the_download_when_the_wall_hides_them(wall, reviewer):
    service.post_note(wall, "Lapp", author_name="Hemlig Person")
    service.set_modes(wall, authors_hidden=True)
    text = _text(reviewer.get(f"/walls/{wall.id}/export.csv"))
    assert "Hemlig Person" not in text and "Namn" not in text.splitlines()[0]


def test_markdown_summary_is_grouped_by_cluster_and_status_and_escapes_user_text(wall, reviewer):
    a = service.post_note(wall, "# Rubrik <script>alert(1)</script> [länk](http://x)")
    b = service.post_note(wall, "- inte en lista *fet*")
    c = service.post_note(wall, "Utan grupp")
    hidden = service.post_note(wall, "Dold lapp")
    service.hide_note(hidden, reviewer.user, "x")
    review.group(wall, [a, b], reviewer.user, name="Styrning [viktig]")
    review.set_status(b, "behandlad", reviewer.user)
    review.add_action(wall, reviewer.user, title="Följ upp", owner_name="Eva", due_on=date(2025, 3, 1), note=c)
    response = reviewer.get(f"/walls/{wall.id}/summary.md")
    assert response.headers["Content-Type"].startswith("text/markdown")
    text = _text(response)
    assert "## Styrning \\[viktig\\]" in text
    styrning = text.index("## Styrning")
    assert styrning < text.index("### Ny") < text.index("\\# Rubrik") < text.index("### Behandlad") < \
        text.index("- \\- inte en lista \\*fet\\*") < text.index("## Utan grupp") < text.index("### Åtgärd")
    assert "\\<script\\>" in text and "<script>" not in text and "\\[länk\\]\\(http://x\\)" in text
    assert "Dold lapp" not in text
    assert "- [ ] Följ upp – Eva, 2025-03-01" in text
    for line in text.splitlines():
        assert not line.startswith("#") or line.startswith(("# ", "## ", "### "))


def test_the_markdown_escape_leaves_plain_text_readable():
    assert exports.md("Vi behöver mer tid. Bra!") == "Vi behöver mer tid. Bra!"
    assert exports.md("1. först") == "1\\. först"
    assert exports.md("rad ett\nrad två") == "rad ett rad två"


@pytest.mark.parametrize("field", ["note", "cluster"])
def test_an_action_for_an_id_too_large_for_the_database_is_a_404(wall, reviewer, field):
    """Found by tests/test_fuzz.py: such ids overflowed in the database driver (500)."""
    response = reviewer.post(_url(wall, "/actions"), {field: "9" * 40, "title": "Gör något",
                                                      "due_on": "2026-12-01"})
    assert response.status_code == 404


class _Owners(html.parser.HTMLParser):
    """The options (value, text) of the first "Ansvarig" list of the review page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.options, self._state = [], "before"

    def handle_starttag(self, tag, attrs):
        if tag == "select" and dict(attrs).get("name") == "owner" and self._state == "before":
            self._state = "in"
        elif tag == "option" and self._state == "in":
            self.options.append([dict(attrs).get("value"), ""])

    def handle_endtag(self, tag):
        if tag == "select" and self._state == "in":
            self._state = "after"

    def handle_data(self, data):
        if self._state == "in" and self.options:
            self.options[-1][1] += data.strip()


def test_an_action_is_owned_by_the_arbetsgrupp_or_an_active_facilitator_and_nobody_else(wall, reviewer, as_role):
    facilitator = as_role("facilitator")
    gone = factories.make_user(role="facilitator", name="Slutat Person")
    gone.active = False
    factories.make_initiative(key="annat", name="Annat")
    others = [factories.make_user(role="member", name="Vanlig Medlem"), as_role("arbetsgrupp:annat").user]
    db.session.commit()
    service.post_note(wall, "En lapp att göra något åt")
    page = _Owners()
    page.feed(_text(reviewer.get(_url(wall))))
    owners = {value: text for value, text in page.options if value}
    assert owners == {str(reviewer.user.id): reviewer.user.display_name,
                      str(facilitator.user.id): facilitator.user.display_name}
    assert not {str(u.id) for u in [gone, *others]} & set(owners)
