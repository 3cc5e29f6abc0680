"""Who may do what: a table of route x role -> expected status, as one parametrized test, so a new
route or role is one row to add and the whole policy reads in one place."""
import pytest

from tests import factories

KEY = "physical-literacy"
A = "anonymous"
M = "member"
G = f"arbetsgrupp:{KEY}"
F = "facilitator"

# (method, url, {role: status}); POSTs are sent with a valid CSRF token and an empty form, so an
# allowed POST answers 422 (validation) or 303 (a button-only action), a refused one 401/403.
TABLE = [
    ("GET", "/", {A: 200, M: 302, F: 302}),
    ("GET", "/login", {A: 200, M: 302}),
    ("GET", "/healthz", {A: 200, M: 200}),
    ("GET", "/portfolio", {A: 302, M: 200, G: 200, F: 200}),
    ("GET", "/initiatives", {A: 302, M: 200, G: 200, F: 200}),
    ("GET", f"/initiatives/{KEY}", {A: 302, M: 200, G: 200, F: 200}),
    ("GET", "/initiatives/new", {A: 302, M: 403, G: 403, F: 200}),
    ("POST", "/initiatives/new", {A: 401, M: 403, G: 403, F: 422}),
    ("GET", f"/initiatives/{KEY}/edit", {A: 302, M: 403, G: 403, F: 200}),
    ("POST", f"/initiatives/{KEY}/edit", {A: 401, M: 403, G: 403, F: 422}),
    ("GET", f"/initiatives/{KEY}/delete", {A: 302, M: 403, G: 403, F: 200}),
    ("POST", f"/initiatives/{KEY}/delete", {A: 401, M: 403, G: 403, F: 303}),
    ("GET", f"/initiatives/{KEY}/parts/new", {A: 302, M: 403, F: 200}),
    ("POST", f"/initiatives/{KEY}/parts/new", {A: 401, M: 403, F: 422}),
    ("GET", f"/initiatives/{KEY}/parts/1/edit", {A: 302, M: 403, F: 200}),
    ("POST", f"/initiatives/{KEY}/parts/1/delete", {A: 401, M: 403, F: 303}),
    ("POST", f"/initiatives/{KEY}/relations", {A: 401, M: 403, F: 422}),
    ("GET", f"/live/initiative:{KEY}", {A: 401}),
    ("GET", "/initiatives/no-such-thing", {M: 404, F: 404}),
    ("GET", "/initiatives/no-such-thing/edit", {M: 403, F: 404}),
]

CASES = [(method, url, role, status) for method, url, expected in TABLE for role, status in expected.items()]


@pytest.mark.parametrize("method, url, role, status", CASES,
                         ids=[f"{m} {u} as {r}" for m, u, r, _s in CASES])
def test_route_answers_each_role_as_expected(app, demo, as_role, method, url, role, status):
    actor = as_role(role)
    response = actor.get(url) if method == "GET" else actor.post(url, {})
    assert response.status_code == status


def test_members_do_not_see_the_buttons_they_may_not_use(app, demo, as_role):
    page = as_role("member").get(f"/initiatives/{KEY}").get_data(as_text=True)
    assert f"/initiatives/{KEY}/edit" not in page and "Nytt initiativ" not in page
    page = as_role("facilitator").get(f"/initiatives/{KEY}").get_data(as_text=True)
    assert f"/initiatives/{KEY}/edit" in page


def test_htmx_requests_get_a_fragment_not_a_redirect_when_refused(app, demo, as_role):
    response = as_role("anonymous").get("/initiatives", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert "<html" not in body and "logga in" in body.lower()


def test_arbetsgrupp_membership_is_per_initiative(app, demo):
    user = factories.make_user()
    factories.add_to_arbetsgrupp(user, KEY)
    assert [i.key for i in user.initiatives] == [KEY]
    assert user.in_arbetsgrupp(user.initiatives[0].id)
