"""An authorization matrix over every URL the project exposes.

Each route is requested (GET) by every role and by an anonymous visitor; routes that
name a case are requested for a case the role may use ("own"), one it may not
("other") and a missing one. A route without an entry in EXPECTED fails the test, so
no URL can ship without a decision about who may reach it.
"""

from django.test import TestCase

from casebook.roles import Role
from tests import factories
from tests.urls import concrete, routes

ROLES = ["anonymous", "caseworker", "supervisor", "auditor", "administrator"]
STATES = ["own", "other", "missing"]
LOGIN = 302  # sent to a sign-in page


def only(allowed_roles, allowed=200, refused=403, anonymous=LOGIN):
    def rule(role, state):
        if role == "anonymous":
            return anonymous
        return allowed if role in allowed_roles else refused

    return rule


def case_rule(allowed_roles, allowed=200):
    """Case URLs: allowed only on the role's own case; everything else looks missing."""

    def rule(role, state):
        if role == "anonymous":
            return LOGIN
        return allowed if role in allowed_roles and state == "own" else 404

    return rule


def everyone(status):
    return lambda role, state: status


EXPECTED = {
    "": everyone(302),  # the root redirects to each role's start page (or to sign in)
    "accounts/login/": everyone(200),
    "accounts/logout/": everyone(405),  # sign-out is POST only
    "accounts/mfa/verify/": everyone(302),  # anonymous: to sign-in; verified: onward
    "accounts/mfa/missing/": everyone(302),  # anonymous: to sign-in; enrolled: onward
    "invitation/": everyone(404),  # no invitation in this session
    "invitation/<str:token>/": only(ROLES[1:], allowed=409, anonymous=404),  # sign out first
    "people/": only({"administrator"}),
    "people/invite/": only({"administrator"}),
    "people/<int:user_id>/": only({"administrator"}, allowed=404),  # no such account
    "people/<int:user_id>/invite/": only({"administrator"}, allowed=405),  # POST only
    "people/<int:user_id>/unlock/": only({"administrator"}, allowed=405),
    "people/<int:user_id>/deactivate/": only({"administrator"}, allowed=405),
    "team/requests/": only({"supervisor"}),
    "accounts/password/": only(ROLES[1:], refused=200),
    "language/": everyone(405),  # choosing a language is POST only
    "exports/aggregate": only({"supervisor"}),
    "exports/": only({"supervisor"}),
    "dashboard/": only({"supervisor"}),
    "coalition/": only({"supervisor"}),  # GET shows the page; a bundle is made by POST
    "audit/": only({"auditor"}),
    "audit/access-log.csv": only({"auditor"}),
    "audit/verify/": everyone(405),  # POST only
    "cases/": only({"caseworker", "supervisor"}),
    "cases/new/": only({"caseworker"}),
    "cases/<ref:reference>/": case_rule({"caseworker"}),
    "cases/<ref:reference>/edit/": case_rule({"caseworker"}),
    "cases/<ref:reference>/break-glass/": case_rule({"supervisor"}),
    "cases/<ref:reference>/delete/": case_rule({"caseworker", "supervisor"}),
    "cases/<ref:reference>/sharing/": case_rule({"supervisor"}),
    "cases/<ref:reference>/sharing/revoke/": lambda role, state: (
        LOGIN if role == "anonymous" else 405
    ),
}


def admin_rule(route, role):
    """Every admin route: administrators with MFA only; everyone else to the admin login."""
    if route in ("admin/login/",):
        return {302} if role == "administrator" else {200}
    if route == "admin/logout/":
        return {405} if role == "administrator" else {302}  # POST only, behind the admin
    if role != "administrator":
        return {302}
    return {200, 302, 400, 403, 404}  # reached the admin itself


class URLMatrixTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        factories.team("Test Team Beta")
        cls.users = {
            "caseworker": factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha"),
            "supervisor": factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha"),
            "auditor": factories.user("aud-1", Role.AUDITOR),
            "administrator": factories.user("adm-1", Role.ADMINISTRATOR),
        }
        colleague = factories.user("cw-colleague", Role.CASEWORKER, "Test Team Alpha")
        outsider = factories.user("cw-beta", Role.CASEWORKER, "Test Team Beta")
        own = factories.case(cls.users["caseworker"])
        cls.references = {
            # The caseworker's own case, which is also a case of the supervisor's team.
            "own": own.reference,
            "other": {
                "caseworker": factories.case(colleague).reference,
                "supervisor": factories.case(outsider).reference,
            },
            "missing": "CB-0000-0000",
        }
        factories.snapshot()  # exports count a snapshot

    def reference(self, role, state):
        if state == "other":
            return self.references["other"].get(role, self.references["own"])
        return self.references[state]

    def test_every_route_has_an_entry(self):
        missing = [r for r in routes() if r not in EXPECTED and not r.startswith("admin/")]
        assert missing == []

    def test_every_route_answers_as_the_matrix_says(self):
        failures = []
        for role in ROLES:
            self.client.logout()
            if role != "anonymous":
                factories.sign_in(self.client, self.users[role])
            for route in routes():
                states = STATES if "<ref:reference>" in route else ["own"]
                for state in states:
                    path = concrete(route, self.reference(role, state))
                    if route == "exports/aggregate":
                        path += "?dimensions=category"
                    status = self.client.get(path).status_code
                    if route.startswith("admin/"):
                        expected = admin_rule(route, role)
                    else:
                        expected = {EXPECTED[route](role, state)}
                    if status not in expected:
                        failures.append((role, state, path, status, expected))
        assert failures == [], "\n".join(map(str, failures))

    def test_no_page_is_served_to_a_method_it_does_not_take(self):
        """PUT, PATCH, DELETE and TRACE change nothing here and are answered 405 (or refused
        as GET is), never with the page: a list or the access log's CSV sent back to a
        TRACE is a page served to a method nobody asked it to serve."""
        served = []
        for role in ROLES[1:]:
            self.client.logout()
            factories.sign_in(self.client, self.users[role])
            for route in routes():
                if route.startswith("admin/"):
                    continue
                path = concrete(route, self.reference(role, "own"))
                for method in ("PUT", "PATCH", "DELETE", "TRACE"):
                    status = self.client.generic(method, path).status_code
                    if status < 300:
                        served.append((role, method, path, status))
        assert served == [], "\n".join(map(str, served))
