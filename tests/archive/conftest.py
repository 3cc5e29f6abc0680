"""Rich sessions, walls and canvases, built through the services as people would fill them:
every kind of content each can hold. Names are invented."""
from datetime import date

import pytest
from sqlalchemy import select

from board.canvas import service as canvases
from board.extensions import db
from board.feedback import service as feedback
from board.feedback.models import Answer
from board.walls import review
from board.walls import service as walls
from board.walls.models import Position
from tests import factories


@pytest.fixture
def facilitator(app):
    return factories.make_user(role="facilitator", email="fia.facilitator@example.se", name="Fia Facilitator")


@pytest.fixture
def member(app):
    return factories.make_user(role="member", email="mo.medlem@example.se", name="Mo Medlem")


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


def build_session(facilitator, member):
    """A self-paced session of every item kind, three participants, answers of every kind (one
    hidden), Q&A with votes, a moderated question, a decision round, and open answers carried to
    the initiative's wall, where someone replied to and reacted on one."""
    initiative = factories.make_initiative(key="studentcoacher", name="Studentcoacher")
    idea_wall = walls.create_wall("Idéväggen", ["Idéer"], user=facilitator)
    canvas = canvases.create_canvas("custom", "Effekt och insats", facilitator,
                                    layout={"mode": "free", "x": ["Liten", "Stor"], "y": ["Låg", "Hög"]})
    s = feedback.create_session("Styrgrupp mars", held_on=date(2026, 3, 12), initiative=initiative, pacing="self",
                                ask_name=True, ask_organisation=True, user=facilitator)
    add = lambda **data: feedback.save_item(s, data)  # noqa: E731
    add(kind="content", title="Välkomna", body="Dagens agenda")
    choice = add(kind="choice", title="Vilket spår?", options=["Spår A", "Spår B", "Spår C"], multiple=True)
    cloud = add(kind="wordcloud", title="Ett ord om terminen")
    open_ = add(kind="open", title="Vad ska vi behålla?")
    scale = add(kind="scale", title="Hur nöjd?", scale_min=1, scale_max=5, min_label="Lite", max_label="Mycket")
    ranking = add(kind="ranking", title="Rangordna", options=["Först", "Sedan", "Sist"])
    qa = add(kind="qa", title="Frågor till styrgruppen", moderated=False)
    decision = add(kind="decision", title="Beslut om budget", options=["Förslag 1", "Förslag 2"])
    add(kind="wall", title="Till väggen", wall=idea_wall)
    add(kind="canvas", title="Till kanvasen", canvas=canvas)
    feedback.go_to(s, choice)
    p1 = feedback.join(s, "token-ett")
    feedback.set_identity(p1, "Ada Exempel", "Västerås stad")
    p2 = feedback.join(s, "token-två", user=member)
    p3 = feedback.join(s, "token-tre")
    o = choice.option_ids
    for p, picked, words, text, value in [(p1, [o[0], o[1]], ["lärorik"], "Handledningen", 4),
                                          (p2, [o[2]], ["rolig", "tung"], "Mentorerna", 5),
                                          (p3, [o[0]], ["lång"], "Fikat", 2)]:
        feedback.answer(s, choice, p.id, picked)
        feedback.answer(s, cloud, p.id, words)
        feedback.answer(s, open_, p.id, text)
        feedback.answer(s, scale, p.id, value)
        feedback.answer(s, ranking, p.id, list(reversed(ranking.option_ids)))
    hidden = db.session.scalar(select(Answer).where(Answer.item_id == open_.id, Answer.participant_id == p3.id))
    feedback.hide_answer(s, hidden, facilitator)
    q1 = feedback.ask(s, qa, p1, "Hur blir det med lokalerna?")
    feedback.upvote(s, q1, p2)
    feedback.upvote(s, q1, p3)
    feedback.moderate(s, q1, "answered", facilitator)
    q2 = feedback.ask(s, qa, p3, "Något olämpligt")
    feedback.moderate(s, q2, "hide", facilitator)
    d = decision.option_ids
    feedback.decide(s, decision, member, {d[0]: ("ja", "Rimligt"), d[1]: ("nej", "För dyrt")})
    feedback.decide(s, decision, facilitator, {d[0]: ("avstar", ""), d[1]: ("ja", "")})
    carried = db.session.get(Answer, feedback.own_answer(open_, p1).id).wall_note_id
    wall = walls.wall_for_initiative(initiative)
    note = walls.readable_note(wall, carried)
    walls.post_note(wall, "Håller med!", parent=note, token="token-fyra")
    walls.toggle_reaction(note, "gillar", token="token-fyra")
    walls.toggle_reaction(note, "ide", user=member)
    db.session.commit()
    return s


def build_wall(facilitator, member):
    """A wall open with a code: sections, notes of every colour and source, replies, reactions,
    a closed dot vote with dots, tags, a cluster, actions, statuses, a hidden and a deleted note,
    a party position and the review log."""
    org = factories.make_organisation("vasteras", "Västerås stad")
    wall = walls.create_wall("Studentcoacher", ["Idéer", "Frågor"], user=facilitator)
    walls.open_with_code(wall)
    ideas, questions = wall.sections
    n1 = walls.post_note(wall, "Fler träffar på kvällstid", section=ideas, author_name="Bo Exempel",
                         author_org="vasteras", colour="rosa", token="lapp-ett")
    n2 = walls.post_note(wall, "Vem bokar lokalen?", section=questions, user=member)
    n3 = walls.post_note(wall, "Från mötet", section=ideas, source_kind="session", source_session_id=999,
                         source_label="Ett möte: en fråga", source_date=date(2026, 2, 1), token="lapp-två")
    walls.post_note(wall, "Bra idé", parent=n1, token="lapp-två")
    walls.toggle_reaction(n1, "gillar", token="lapp-två")
    walls.toggle_reaction(n1, "haller-med", user=member)
    walls.toggle_reaction(n2, "fundering", token="lapp-ett")
    walls.open_vote(wall, 3, 2, user=facilitator)
    walls.add_dot(n1, token="lapp-två")
    walls.add_dot(n1, token="lapp-två")
    walls.add_dot(n2, user=member)
    walls.close_vote(wall)
    review.set_status(n1, "behandlad", facilitator)
    review.add_tag(n1, "Skalning")
    review.add_tag(n2, "Lokaler")
    cluster = review.group(wall, [n1, n3], facilitator, name="Träffar")
    review.add_action(wall, facilitator, title="Boka kvällslokal", due_on=date(2026, 12, 1), owner=member, note=n2)
    review.add_action(wall, facilitator, title="Sammanfatta", due_on=date(2026, 12, 15), owner_name="Arbetsgruppen",
                      cluster=cluster)
    walls.hide_note(n3, facilitator, reason="Dubblett")
    gone = walls.post_note(wall, "Fel vägg", section=questions, token="lapp-ett")
    walls.delete_note(gone, user=facilitator, reason="Fel vägg")
    db.session.add(Position(section_id=ideas.id, organisation_id=org.id, text="Vi står bakom kvällsträffar",
                            user_id=member.id))
    db.session.commit()
    return wall


def build_canvas(facilitator, member, grid: bool = False):
    """A custom canvas (free with initiatives, or a grid of parts): moves, an undo, a lock, two
    snapshots and relations."""
    first = factories.make_initiative(key="forsta", name="Första initiativet")
    second = factories.make_initiative(key="andra", name="Andra initiativet")
    if grid:
        canvas = canvases.create_canvas("custom", "Ansvar", facilitator, access="members",
                                        layout={"mode": "grid", "rows": "Västerås\nEskilstuna", "cols": "2025\n2026",
                                                "items": "parts"})
        a, b = f"p{first.parts[0].id}", f"p{second.parts[1].id}"
        canvases.move(canvas, a, "cell:0:1", member)
        canvases.move(canvas, b, "cell:1:0", facilitator)
    else:
        canvas = canvases.create_canvas("custom", "Effekt och insats", facilitator,
                                        layout={"mode": "free", "x": ["Liten insats", "Stor insats"],
                                                "y": ["Liten effekt", "Stor effekt"]})
        a, b = f"i{first.id}", f"i{second.id}"
        canvases.move(canvas, a, "point", member, "0.25", "0.75")
        canvases.move(canvas, b, "point", facilitator, "0.6", "0.1")
    canvases.take_snapshot(canvas, "Före", facilitator)
    canvases.move(canvas, a, "tray", member)
    canvases.undo_last(canvas, member)
    canvases.set_item_lock(canvas, b, True, facilitator)
    canvases.take_snapshot(canvas, "Efter", facilitator)
    canvases.add_relation(canvas, a, b, "Delar målgrupp", facilitator)
    db.session.commit()
    return canvas
