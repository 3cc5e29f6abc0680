import contextvars
import re
import threading

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.feedback import results, service
from board.feedback.models import Answer, FeedbackSession, Participant, QAQuestion
from tests.conftest import Actor


@pytest.fixture
def facilitator(as_role):
    return as_role("facilitator")


def make_session(**kw):
    return service.create_session(kw.pop("title", "Core Team 2024-11-22"), **kw)


def add(session, kind, title="Fråga?", **data):
    return service.save_item(session, {"kind": kind, "title": title, **data})


def participant_of(app, session):
    actor = Actor(app)
    assert actor.get(f"/j/{session.code}").status_code == 200
    return actor


def test_a_new_session_gets_a_unique_six_digit_code(app):
    codes = {make_session().code for _ in range(30)}
    assert len(codes) == 30 and all(re.fullmatch(r"\d{6}", c) for c in codes)


@pytest.mark.parametrize("raw", ["123456", "123 456", "123-456", " 12 34 56 "])
def test_join_box_accepts_codes_with_spaces_or_dashes(app, raw):
    session = make_session()
    session.code = "123456"
    db.session.commit()
    response = Actor(app).get("/j", query_string={"code": raw})
    assert response.status_code == 303 and response.headers["Location"] == "/j/123456"


@pytest.mark.parametrize("raw", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_join_box_explains_a_bad_code(app, raw):
    response = Actor(app).get("/j", query_string={"code": raw})
    assert response.status_code == 422 and "sex siffrorna" in response.get_data(as_text=True)


def test_unknown_code_is_404(app):
    assert Actor(app).get("/j/000000").status_code == 404


def test_facilitator_creates_a_session_and_adds_items(app, facilitator):
    response = facilitator.post("/sessions", {"title": "Core Team december", "held_on": "2024-12-18",
                                              "pacing": "presenter", "initiative": ""})
    assert response.status_code == 303
    session = db.session.scalar(select(FeedbackSession))
    assert response.headers["Location"] == f"/sessions/{session.id}"
    assert facilitator.post(f"/sessions/{session.id}/items/new?kind=content",
                            {"title": "Agenda", "body": "Uppdateringar"}).status_code == 303
    assert facilitator.post(f"/sessions/{session.id}/items/new?kind=choice",
                            {"title": "Vilken?", "options": "Ja\nNej\n\nKanske"}).status_code == 303
    assert facilitator.post(f"/sessions/{session.id}/items/new?kind=scale",
                            {"title": "Hur värdefullt?", "scale_min": "1", "scale_max": "5",
                             "min_label": "Inte alls", "max_label": "Mycket"}).status_code == 303
    db.session.refresh(session)
    assert [i.kind for i in session.items] == ["content", "choice", "scale"]
    assert [o.text for o in session.items[1].options] == ["Ja", "Nej", "Kanske"]
    form = facilitator.get(f"/sessions/{session.id}/items/new?kind=scale").get_data(as_text=True)
    assert re.search(r'id="results_hidden" name="results_hidden" type="checkbox" value="y"', form) and "checked" in form
    assert add(session, "choice", options=["A", "B"]).results_hidden  # hidden by default for choice and scale
    assert not add(session, "open").results_hidden


@pytest.mark.parametrize("kind, data, message", [
    ("choice", {"title": "Q", "options": "Bara ett"}, "Skriv minst två alternativ."),
    ("choice", {"title": "Q", "options": "A\nA"}, "Två alternativ är likadana."),
    ("scale", {"title": "Q", "scale_min": "5", "scale_max": "3"}, "Högsta värdet måste vara större"),
    ("scale", {"title": "Q", "scale_min": "1", "scale_max": "99"}, "Mellan 1 och 10."),
    ("open", {"title": ""}, "Skriv en rubrik eller fråga."),
    ("open", {"title": "x" * 301}, "Högst 300 tecken."),
])
def test_invalid_items_are_refused_with_a_message(app, facilitator, kind, data, message):
    session = make_session()
    response = facilitator.post(f"/sessions/{session.id}/items/new?kind={kind}", data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.refresh(session)
    assert session.items == []


def test_items_can_be_reordered_and_deleted(app, facilitator):
    session = make_session()
    a, b, c = (add(session, "open", t) for t in "ABC")
    facilitator.post(f"/sessions/{session.id}/items/{c.id}/move", {"direction": "up"})
    db.session.expire_all()
    assert [i.title for i in session.items] == ["A", "C", "B"]
    facilitator.post(f"/sessions/{session.id}/items/{a.id}/delete")
    db.session.expire_all()
    assert [(i.title, i.position) for i in session.items] == [("C", 0), ("B", 1)]


def test_participant_joins_without_an_account_and_gets_an_httponly_cookie(app):
    session = make_session()
    response = Actor(app).get(f"/j/{session.code}")
    assert response.status_code == 200
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("tavlan_participant="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Väntar på presentatören" in response.get_data(as_text=True)
    stored = db.session.scalar(select(Participant))
    assert stored.token_hash not in cookie and len(stored.token_hash) == 64  # only the hash is kept


def test_participant_page_follows_the_presenter(app, facilitator):
    session = make_session()
    first, second = add(session, "content", "Agenda"), add(session, "open", "Vad behöver initiativet tänka på?")
    phone = participant_of(app, session)
    facilitator.post(f"/sessions/{session.id}/control", {"action": "next"})
    assert "Agenda" in phone.get(f"/j/{session.code}").get_data(as_text=True)
    facilitator.post(f"/sessions/{session.id}/control", {"action": "next"})
    page = phone.get(f"/j/{session.code}").get_data(as_text=True)
    assert "Vad behöver initiativet tänka på?" in page and 'name="text"' in page


def answer(phone, session, item, **data):
    return phone.post(f"/j/{session.code}/items/{item.id}", data, htmx=True)


def test_every_question_type_counts_from_the_stored_answers(app):
    session = make_session(pacing="self")
    choice = add(session, "choice", options=["Barn", "Unga", "Vuxna"], multiple=True)
    cloud = add(session, "wordcloud")
    scale = add(session, "scale", scale_min=1, scale_max=5)
    ranking = add(session, "ranking", options=["A", "B", "C"])
    text = add(session, "open")
    o = {x.text: x.id for x in choice.options}
    r = {x.text: x.id for x in ranking.options}
    phones = [participant_of(app, session) for _ in range(3)]
    for phone, picks, words, value, order in zip(
            phones, [["Barn", "Unga"], ["Barn"], ["Vuxna"]],
            [["Trygga  vuxna", "skola"], ["trygga vuxna"], ["SKOLA", " Trygga Vuxna "]], ["5", "4", "2"],
            [["A", "B", "C"], ["B", "A", "C"], ["A", "C", "B"]]):
        assert answer(phone, session, choice, option=[str(o[p]) for p in picks]).status_code == 200
        assert answer(phone, session, cloud, word=words).status_code == 200
        assert answer(phone, session, scale, value=value).status_code == 200
        assert answer(phone, session, ranking, option=[str(r[x]) for x in order]).status_code == 200
        assert answer(phone, session, text, text="<b>Mer fokus på de yngsta</b>").status_code == 200
    assert [(opt.text, n) for opt, n in results.compute(choice)["rows"]] == [("Barn", 2), ("Unga", 1), ("Vuxna", 1)]
    assert [(w, n) for w, n, _size in results.compute(cloud)["words"]] == [("trygga vuxna", 3), ("skola", 2)]
    assert results.compute(scale)["mean"] == pytest.approx(3.67)
    assert [v for _v, v in results.compute(scale)["rows"]] == [0, 1, 0, 1, 1]
    assert [(opt.text, avg) for opt, avg in results.compute(ranking)["rows"]] == [
        ("A", pytest.approx(1.33)), ("B", pytest.approx(2.0)), ("C", pytest.approx(2.67))]
    assert results.compute(text)["texts"] == ["<b>Mer fokus på de yngsta</b>"] * 3


@pytest.mark.parametrize("kind, data, message", [
    ("choice", {}, "Välj ett alternativ."),
    ("choice", {"option": ["999"]}, "Välj ett alternativ."),
    ("wordcloud", {"word": ["", " "]}, "Skriv minst ett ord."),
    ("wordcloud", {"word": ["a", "b", "c", "d"]}, "Högst 3 ord."),
    ("wordcloud", {"word": ["x" * 41]}, "högst 40 tecken"),
    ("open", {"text": "x" * 501}, "högst 500 tecken"),
    ("open", {"text": "  "}, "Skriv ditt svar."),
    ("scale", {"value": "6"}, "Välj ett värde från 1 till 5."),
    ("scale", {"value": "tre"}, "Välj ett värde från 1 till 5."),
    ("scale", {"value": "３"}, "Välj ett värde från 1 till 5."),
    ("ranking", {"option": ["1"]}, "Ordna alla alternativ."),
])
def test_bad_answers_get_a_clear_message_and_nothing_is_stored(app, kind, data, message):
    session = make_session(pacing="self")
    item = add(session, kind, options=["A", "B"], scale_min=1, scale_max=5)
    if kind == "choice" and data.get("option") == ["1"]:
        data["option"] = [str(item.options[0].id), str(item.options[1].id)]
    phone = participant_of(app, session)
    response = answer(phone, session, item, **data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Answer.id))) == 0


def test_a_phone_that_answers_before_the_page_joined_it_is_counted_once(app):
    """A page saved before joining (or a retry after a lost cookie) still stores the answer."""
    session = make_session(pacing="self")
    item = add(session, "scale", scale_min=1, scale_max=5)
    phone = Actor(app)
    first = answer(phone, session, item, value="4")
    assert first.status_code == 200 and "tavlan_participant=" in first.headers.get("Set-Cookie", "")
    answer(phone, session, item, value="5")  # now with the cookie: the same participant
    assert [a.value for a in db.session.scalars(select(Answer))] == [5]


def test_without_script_a_bad_answer_shows_the_page_again_with_the_message(app):
    session = make_session(pacing="self")
    item = add(session, "scale", scale_min=1, scale_max=5)
    phone = participant_of(app, session)
    response = phone.post(f"/j/{session.code}/items/{item.id}", {"value": "9"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Välj ett värde från 1 till 5." in page and 'name="csrf_token"' in page
    assert phone.post(f"/j/{session.code}/items/{item.id}", {"value": "3"}).status_code == 303


def test_a_single_choice_question_refuses_two_options(app):
    session = make_session(pacing="self")
    item = add(session, "choice", options=["A", "B"])
    response = answer(participant_of(app, session), session, item, option=[str(o.id) for o in item.options])
    assert response.status_code == 422 and "Välj bara ett alternativ." in response.get_data(as_text=True)


def test_changing_an_answer_replaces_it(app):
    session = make_session(pacing="self")
    item = add(session, "scale", scale_min=1, scale_max=5)
    phone = participant_of(app, session)
    answer(phone, session, item, value="2")
    answer(phone, session, item, value="4")
    assert [a.value for a in db.session.scalars(select(Answer))] == [4]


def test_an_answer_reaches_only_a_question_of_the_session_whose_code_was_used(app):
    mine, other = make_session(pacing="self"), make_session(pacing="self", title="Another meeting")
    foreign = add(other, "scale", scale_min=1, scale_max=5)
    phone = participant_of(app, mine)
    assert answer(phone, mine, foreign, value="3").status_code == 404
    template = make_session(pacing="self", title="Mall")
    template.is_template = True
    db.session.commit()
    planned = add(template, "scale", scale_min=1, scale_max=5)
    assert answer(phone, template, planned, value="3").status_code == 404
    assert db.session.scalar(select(func.count(Answer.id))) == 0


def test_double_taps_from_many_threads_never_count_twice(app):
    """Ten concurrent submits of one participant (two tabs, retries) leave exactly one answer."""
    session = make_session(pacing="self")
    item = add(session, "scale", scale_min=1, scale_max=5)
    phone = participant_of(app, session)
    token = phone.csrf()
    cookie = phone.client.get_cookie("tavlan_participant").value
    session_cookie = phone.client.get_cookie("tavlan_session").value
    url = f"/j/{session.code}/items/{item.id}"
    statuses = []

    def tap(value):
        client = app.test_client()
        client.set_cookie("tavlan_participant", cookie)
        client.set_cookie("tavlan_session", session_cookie)
        statuses.append(contextvars.Context().run(
            client.post, f"/j/{session.code}/items/{item.id}", data={"value": str(value), "csrf_token": token},
            headers={"HX-Request": "true"}).status_code)

    threads = [threading.Thread(target=tap, args=(1 + n % 5,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.commit()
    assert statuses == [200] * 10
    assert db.session.scalar(select(func.count(Answer.id))) == 1


def test_many_participants_answering_at_once_are_all_counted(app):
    session = make_session(pacing="self")
    item = add(session, "choice", options=["Ja", "Nej"])
    phones = [participant_of(app, session) for _ in range(8)]
    tokens = [(p, p.csrf()) for p in phones]
    yes = str(item.options[0].id)
    url = f"/j/{session.code}/items/{item.id}"

    def go(phone, token):
        contextvars.Context().run(phone.client.post, url,
                                  data={"option": yes, "csrf_token": token}, headers={"HX-Request": "true"})

    threads = [threading.Thread(target=go, args=pt) for pt in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.commit()
    assert results.compute(item)["rows"][0][1] == 8


def test_only_the_item_on_screen_can_be_answered_when_the_presenter_leads(app, facilitator):
    session = make_session()
    first, second = add(session, "open", "Första"), add(session, "open", "Andra")
    phone = participant_of(app, session)
    assert answer(phone, session, second, text="för tidigt").status_code == 422
    facilitator.post(f"/sessions/{session.id}/control", {"action": "show", "item": str(second.id)})
    assert answer(phone, session, second, text="nu").status_code == 200


def test_a_locked_question_refuses_answers_and_keeps_the_old_ones(app, facilitator):
    session = make_session()
    item = add(session, "open", "Fråga")
    service.go_to(session, item)
    phone = participant_of(app, session)
    answer(phone, session, item, text="första")
    facilitator.post(f"/sessions/{session.id}/control", {"action": "lock"})
    refused = answer(phone, session, item, text="ändrat")
    assert refused.status_code == 422 and "stängd" in refused.get_data(as_text=True)
    assert [a.value for a in db.session.scalars(select(Answer))] == ["första"]
    assert "disabled" in phone.get(f"/j/{session.code}").get_data(as_text=True)
    facilitator.post(f"/sessions/{session.id}/control", {"action": "lock"})
    assert answer(phone, session, item, text="ändrat").status_code == 200


def test_results_stay_hidden_on_the_stage_until_revealed(app, facilitator):
    session = make_session()
    item = add(session, "choice", "Vilken?", options=["Alfa", "Beta"])
    service.go_to(session, item)
    phone = participant_of(app, session)
    answer(phone, session, item, option=str(item.options[0].id))
    stage = facilitator.get(f"/sessions/{session.id}/present").get_data(as_text=True)
    assert "Resultatet visas när alla har svarat." in stage and "Alfa: 1" not in stage
    assert "1 svar" in stage and "1 deltagare" in stage
    facilitator.post(f"/sessions/{session.id}/control", {"action": "results"})
    stage = facilitator.get(f"/sessions/{session.id}/present").get_data(as_text=True)
    assert "Alfa: 1. Beta: 0." in stage


def test_a_hidden_answer_is_kept_but_no_longer_counted(app, facilitator):
    session = make_session(pacing="self")
    item = add(session, "open")
    answer(participant_of(app, session), session, item, text="olämpligt")
    stored = db.session.scalar(select(Answer))
    facilitator.post(f"/sessions/{session.id}/answers/{stored.id}/hide", {"hidden": "1"})
    db.session.refresh(stored)
    assert stored.hidden and stored.hidden_by_id == facilitator.user.id and stored.hidden_at
    assert results.compute(item)["texts"] == []
    page = facilitator.get(f"/sessions/{session.id}/results").get_data(as_text=True)
    assert "dold av" in page


def test_presenter_page_shows_code_address_and_qr(app, facilitator):
    session = make_session()
    page = facilitator.get(f"/sessions/{session.id}/present").get_data(as_text=True)
    assert f"{session.code[:3]} {session.code[3:]}" in page
    assert f"https://tavlan.test/j/{session.code}" in page and "<svg" in page and "<path" in page


def test_optional_name_and_organisation_are_asked_only_when_the_facilitator_wants(app):
    session = make_session()
    phone = participant_of(app, session)
    assert "frivilligt" not in phone.get(f"/j/{session.code}").get_data(as_text=True)
    assert phone.post(f"/j/{session.code}/me", {"name": "Kim"}).status_code == 404
    service.update_session(session, ask_name=True, ask_organisation=True)
    assert "Ditt namn och din organisation (frivilligt)" in phone.get(f"/j/{session.code}").get_data(as_text=True)
    assert phone.post(f"/j/{session.code}/me", {"name": "Kim", "organisation": "Eskilstuna kommun"}).status_code == 303
    stored = db.session.scalar(select(Participant))
    assert (stored.name, stored.organisation) == ("Kim", "Eskilstuna kommun")


@pytest.mark.parametrize("body", [{"data": b"", "content_type": "application/x-www-form-urlencoded"},
                                  {"json": {"name": None, "organisation": {"a": 1}}}])
def test_an_empty_or_json_identity_post_stores_no_name_and_never_fails(app, body):
    """Found by tests/test_fuzz.py: a field not sent was None and broke a NOT NULL column (500)."""
    session = make_session(ask_name=True, ask_organisation=True)
    phone = participant_of(app, session)
    token = phone.csrf()
    response = phone._request("post", f"/j/{session.code}/me", headers={"X-CSRFToken": token}, **body)
    assert response.status_code == 303
    stored = db.session.scalar(select(Participant))
    assert (stored.name, stored.organisation) == ("", "")


ROUTES = ["/sessions", "/sessions/{id}", "/sessions/{id}/present", "/sessions/{id}/results",
          "/sessions/{id}/edit", "/sessions/{id}/items/new?kind=open"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role, status", [("anonymous", 302), ("member", 403), ("facilitator", 200)])
def test_only_facilitators_reach_presenter_and_results_pages(app, as_role, route, role, status):
    session = make_session()
    assert as_role(role).get(route.format(id=session.id)).status_code == status


def test_participants_cannot_drive_the_presentation_or_follow_another_sessions_channel(app):
    mine, other = make_session(), make_session()
    phone = participant_of(app, mine)
    assert phone.post(f"/sessions/{mine.id}/control", {"action": "next"}).status_code == 401
    assert phone.get(f"/live/present:{mine.id}").status_code == 401
    assert phone.get(f"/live/join:{other.id}").status_code == 403
    context = contextvars.Context()  # a streamed response must be closed in the context that opened it
    stream = context.run(phone.client.get, f"/live/join:{mine.id}", buffered=False)
    assert stream.status_code == 200
    context.run(stream.close)


def test_qa_participants_ask_upvote_once_and_the_moderator_acts(app, facilitator):
    from board.feedback.models import QAQuestion

    session = make_session(pacing="self")
    item = add(session, "qa", "Frågor till initiativet")
    asker, voter = participant_of(app, session), participant_of(app, session)
    assert asker.post(f"/j/{session.code}/items/{item.id}/questions", {"question": "Hur når ni de yngsta?"},
                      htmx=True).status_code == 200
    asker.post(f"/j/{session.code}/items/{item.id}/questions", {"question": "Vem äger frågan?"}, htmx=True)
    first, second = db.session.scalars(select(QAQuestion).order_by(QAQuestion.id)).all()
    for _ in range(3):  # a double tap counts once
        voter.post(f"/j/{session.code}/questions/{second.id}/vote", htmx=True)
    assert [(q.text, v) for q, v in results.qa_questions(item)] == [("Vem äger frågan?", 1),
                                                                   ("Hur når ni de yngsta?", 0)]
    assert [q.text for q, _v in results.qa_questions(item, "new")][0] == "Vem äger frågan?"
    facilitator.post(f"/sessions/{session.id}/questions/{first.id}/moderate", {"action": "hide"})
    facilitator.post(f"/sessions/{session.id}/questions/{second.id}/moderate", {"action": "answered"})
    assert [(q.text, q.answered) for q, _v in results.qa_questions(item)] == [("Vem äger frågan?", True)]
    page = asker.get(f"/j/{session.code}?item={item.id}").get_data(as_text=True)
    assert "Vem äger frågan?" in page and "Hur når ni de yngsta?" not in page


def test_a_moderated_qa_shows_questions_only_after_approval(app, facilitator):
    session = make_session(pacing="self")
    item = add(session, "qa", moderated=True)
    phone = participant_of(app, session)
    phone.post(f"/j/{session.code}/items/{item.id}/questions", {"question": "<script>x</script>"}, htmx=True)
    assert results.qa_questions(item) == []
    from board.feedback.models import QAQuestion
    question = db.session.scalar(select(QAQuestion))
    facilitator.post(f"/sessions/{session.id}/questions/{question.id}/moderate", {"action": "approve"})
    assert len(results.qa_questions(item)) == 1
    assert "<script>x</script>" not in phone.get(f"/j/{session.code}").get_data(as_text=True)


def test_decision_round_records_members_votes_grouped_by_organisation(app, demo, facilitator):
    from tests import factories

    session = make_session()
    item = add(session, "decision", "Beslut om initiativ", options=["Fortsätt driva Studentcoacher",
                                                                     "Fortsätt driva Ungdomsdelaktighet"])
    service.go_to(session, item)
    stud, ung = (o.id for o in item.options)
    voters = [("eskilstuna", "ja", "nej", "Överlapp med labbet"), ("vasteras", "ja", "ja", ""),
              ("vasteras", "ja", "avstar", "")]
    for org, a, b, why in voters:
        member = Actor(app).login(factories.make_user(role="member", organisation_key=org))
        response = member.post(f"/j/{session.code}/items/{item.id}",
                               {f"vote-{stud}": a, f"vote-{ung}": b, f"reason-{ung}": why})
        assert response.status_code == 303
    table = results.decision_table(item)
    assert [org for org, _members in table["groups"]] == ["Västerås stad", "Eskilstuna kommun"]
    assert [(t["ja"], t["nej"], t["avstar"], t["split"]) for t in table["totals"]] == [
        (3, 0, 0, False), (1, 1, 1, True)]
    stage = facilitator.get(f"/sessions/{session.id}/present").get_data(as_text=True)
    assert "Oenighet" in stage and "Överlapp med labbet" in stage


def test_decisions_need_a_login_and_every_proposal(app, demo):
    from tests import factories

    session = make_session()
    item = add(session, "decision", options=["Förslag A", "Förslag B"])
    service.go_to(session, item)
    first = str(item.options[0].id)
    anonymous = participant_of(app, session)
    refused = anonymous.post(f"/j/{session.code}/items/{item.id}", {f"vote-{first}": "ja"})
    assert refused.status_code == 422 and "Logga in" in refused.get_data(as_text=True)
    member = Actor(app).login(factories.make_user(role="member"))
    partial = member.post(f"/j/{session.code}/items/{item.id}", {f"vote-{first}": "ja"})
    assert partial.status_code == 422 and "för varje förslag" in partial.get_data(as_text=True)
    assert results.decision_table(item)["n"] == 0


def test_answers_go_straight_to_the_initiatives_wall_and_numbers_to_its_page(app, demo, facilitator):
    from datetime import date

    from board.portfolio.models import Initiative

    uvas = db.session.scalar(select(Initiative).where(Initiative.key == "unga-vuxna-utan-arbete-eller-studier"))
    session = make_session(title="Core Team 2024-11-22", held_on=date(2024, 11, 22), initiative=uvas,
                           pacing="self")
    text = add(session, "open", "Vad behöver initiativet tänka på framåt?")
    scale = add(session, "scale", "Hur värdefulla är post mortem-konferenser?", scale_min=1, scale_max=5)
    questions = add(session, "qa", "Frågor till arbetsgruppen")
    other = add(session, "open", "Om något annat", initiative=db.session.scalar(
        select(Initiative).where(Initiative.key == "studentcoacher")))
    phone = participant_of(app, session)
    answer(phone, session, text, text="Fokusera på de som inte syns i statistiken")
    answer(phone, session, text, text="Fokusera på de som <b>inte</b> syns")  # changed: the note follows
    answer(phone, session, scale, value="5")
    phone.post(f"/j/{session.code}/items/{questions.id}/questions", {"question": "Hur når ni de som inte söker?"})
    answer(phone, session, other, text="Hör inte hit")

    wall = as_member_page(app, "/initiatives/unga-vuxna-utan-arbete-eller-studier/wall")
    assert "Från sessionen Core Team 2024-11-22: Vad behöver initiativet tänka på framåt?, 2024-11-22" in wall
    assert "Fokusera på de som &lt;b&gt;inte&lt;/b&gt; syns" in wall
    assert "i statistiken" not in wall  # one note per answer, not one per change
    assert "Hur når ni de som inte söker?" in wall
    assert "Hör inte hit" not in wall
    assert "Hör inte hit" in as_member_page(app, "/initiatives/studentcoacher/wall")
    asked = db.session.scalar(select(QAQuestion))
    facilitator.post(f"/sessions/{session.id}/questions/{asked.id}/moderate", {"action": "hide"})
    assert "Hur når ni de som inte söker?" not in as_member_page(app, "/initiatives/unga-vuxna-utan-arbete-eller-studier/wall")
    page = as_member_page(app, "/initiatives/unga-vuxna-utan-arbete-eller-studier")
    section = page.split('id="fran-sessioner"')[1]
    assert "Från sessionen ”Core Team 2024-11-22”, 2024-11-22" in section
    assert "Medelvärde 5" in section
    assert "Svaren står på initiativets vägg" in section


def test_hidden_and_held_answers_stay_off_the_wall_until_shown(app, demo, facilitator):
    from board.portfolio.models import Initiative

    uvas = db.session.scalar(select(Initiative).where(Initiative.key == "unga-vuxna-utan-arbete-eller-studier"))
    session = make_session(initiative=uvas, pacing="self", word_filter=True)
    item = add(session, "open", "Tankar?")
    wall_url = "/initiatives/unga-vuxna-utan-arbete-eller-studier/wall"
    answer(participant_of(app, session), session, item, text="Ett helt vanligt svar")
    answer(participant_of(app, session), session, item, text="Det här är skit")  # held by the filter
    shown = as_member_page(app, wall_url)
    assert "Ett helt vanligt svar" in shown and "skit" not in shown

    held = db.session.scalar(select(Answer).where(Answer.held.is_(True)))
    normal = db.session.scalar(select(Answer).where(Answer.held.is_(False)))
    facilitator.post(f"/sessions/{session.id}/answers/{held.id}/hide", {"release": "1"})
    facilitator.post(f"/sessions/{session.id}/answers/{normal.id}/hide", {"hidden": "1"})
    shown = as_member_page(app, wall_url)
    assert "Det här är skit" in shown and "Ett helt vanligt svar" not in shown
    facilitator.post(f"/sessions/{session.id}/answers/{normal.id}/hide", {"hidden": "0"})
    assert "Ett helt vanligt svar" in as_member_page(app, wall_url)


def as_member_page(app, url):
    from tests import factories

    return Actor(app).login(factories.make_user()).get(url, follow_redirects=True).get_data(as_text=True)


def test_the_live_participant_fragment_carries_no_ones_csrf_token(app, facilitator):
    """It is rendered once for every phone, so a token in it would be someone else's."""
    session = make_session()
    item = add(session, "choice", options=["A", "B"])
    service.go_to(session, item)
    with app.test_request_context():
        assert "csrf_token" not in service.render_participant_item(session)
    page = participant_of(app, session).get(f"/j/{session.code}").get_data(as_text=True)
    assert 'name="csrf_token"' in page  # the page rendered for one participant works without script


@pytest.mark.parametrize("text, held", [("Vilket jävla bra initiativ", True), ("Det här är SKIT", True),
                                        ("Skitbra jobbat!", False), ("Fanny och Fantasia", False),
                                        ("What the fuck", True), ("Dra åt  helvete", True)])
def test_the_word_filter_holds_flagged_answers_until_released(app, facilitator, text, held):
    session = make_session(pacing="self", word_filter=True)
    item = add(session, "open")
    answer(participant_of(app, session), session, item, text=text)
    assert results.compute(item)["texts"] == ([] if held else [text])
    stored = db.session.scalar(select(Answer))
    assert stored.held is held
    if held:
        facilitator.post(f"/sessions/{session.id}/answers/{stored.id}/hide", {"release": "1"})
        assert results.compute(item)["texts"] == [text]


def test_without_the_word_filter_nothing_is_held(app):
    session = make_session(pacing="self")
    item = add(session, "open")
    answer(participant_of(app, session), session, item, text="skit också")
    assert results.compute(item)["texts"] == ["skit också"]


def test_a_flagged_qa_question_waits_for_approval(app):
    from board.feedback.models import QAQuestion

    session = make_session(pacing="self", word_filter=True)
    item = add(session, "qa")
    participant_of(app, session).post(f"/j/{session.code}/items/{item.id}/questions",
                                      {"question": "Varför är det så jävla krångligt?"}, htmx=True)
    question = db.session.scalar(select(QAQuestion))
    assert question.held and not question.approved and results.qa_questions(item) == []


def test_self_paced_participants_move_through_the_questions_themselves(app):
    session = make_session(pacing="self")
    first, second = add(session, "open", "Första frågan"), add(session, "scale", "Andra frågan", scale_min=1,
                                                                scale_max=3)
    phone = participant_of(app, session)
    page = phone.get(f"/j/{session.code}").get_data(as_text=True)
    assert "Första frågan" in page and f"?item={second.id}" in page and "Väntar" not in page
    assert answer(phone, session, second, value="3").status_code == 200  # no presenter needed
    page = phone.get(f"/j/{session.code}?item={second.id}").get_data(as_text=True)
    assert "Andra frågan" in page and f"?item={first.id}" in page and "checked" in page


def test_an_item_id_too_large_for_the_database_is_a_404_and_changes_nothing(app, facilitator):
    """Found by tests/test_fuzz.py: the id overflowed in the database driver (500)."""
    session = make_session()
    add(session, "open")
    response = facilitator.post(f"/sessions/{session.id}/control", {"action": "show", "item": "9" * 40})
    assert response.status_code == 404
    db.session.refresh(session)
    assert session.current_item_id is None
