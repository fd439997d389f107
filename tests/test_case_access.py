"""Every case URL, for every role: allowed, forbidden (404), missing (404), shared and revoked."""

import re

from django.contrib.auth.models import Group, User
from django.urls import reverse

from casebook.cases.sharing import SharingRefused, case_share, case_unshare
from casebook.roles import Role
from tests import factories
from tests.cast import CastTestCase

MISSING = "CB-0000-0000"


def without_csrf(content: bytes) -> bytes:
    """The page without its per-response CSRF token, which always differs."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


# (name of url, method) for every URL that names a case.
CASE_URLS = [
    ("casebook:case_detail", "get"),
    ("casebook:case_edit", "get"),
    ("casebook:case_edit", "post"),
    ("casebook:case_sharing", "get"),
    ("casebook:case_sharing", "post"),
    ("casebook:case_revoke", "post"),
    ("casebook:case_delete", "get"),
    ("casebook:case_delete", "post"),
    ("casebook:case_break_glass", "get"),
    ("casebook:case_break_glass", "post"),
]
CONTENT_URLS = CASE_URLS[:3]
SHARING_URLS = CASE_URLS[3:6]
DELETE_URLS = CASE_URLS[6:8]
BREAK_GLASS_URLS = CASE_URLS[8:]
# What each allowed request answers, with the data request() sends: a valid edit
# (redirect), a share with the colleague (redirect) and its revocation (asks to confirm,
# 200), a delete without the typed reference (400: refused as input), and a break-glass
# with a reason (redirected to the reading, 302).
ALLOWED = dict(zip(CASE_URLS, [200, 200, 302, 200, 302, 200, 200, 400, 200, 302], strict=True))
NOT_FOUND = dict.fromkeys(CASE_URLS, 404)


class CaseAccessMatrix(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.supervisor_2 = factories.user("sup-alpha-2", Role.SUPERVISOR, "Test Team Alpha")
        cls.other_supervisor = factories.user("sup-beta", Role.SUPERVISOR, "Test Team Beta")
        cls.superuser = User.objects.create_superuser("root-1", password=factories.PASSWORD)

    def request(self, user, url_name, method, reference=None):
        self.client.logout()
        if user is not None:
            factories.sign_in(self.client, user)
        url = reverse(url_name, args=[reference or self.case.reference])
        data = {}
        if method == "post":
            data = factories.form_data(version="1")
            data["holder"] = f"user:{self.colleague.pk}"
            data["reason"] = "A fictional reason long enough to be accepted."
        return getattr(self.client, method)(url, data)

    def assert_status(self, user, urls, answers):
        """Each of `urls` answers `user` as `answers` says (a status per URL and method)."""
        for url_name, method in urls:
            response = self.request(user, url_name, method)
            label = f"{user} {method.upper()} {url_name}"
            assert response.status_code == answers[url_name, method], (label, response.status_code)

    def test_author_opens_edits_and_deletes_but_does_not_manage_sharing(self):
        self.assert_status(self.author, CONTENT_URLS, ALLOWED)
        self.assert_status(self.author, DELETE_URLS, ALLOWED)
        self.assert_status(self.author, SHARING_URLS, NOT_FOUND)
        self.assert_status(self.author, BREAK_GLASS_URLS, NOT_FOUND)

    def test_supervisor_of_the_team_manages_sharing_and_deletion_but_cannot_open_content(self):
        self.assert_status(self.supervisor, SHARING_URLS, ALLOWED)
        self.assert_status(self.supervisor, DELETE_URLS, ALLOWED)
        self.assert_status(self.supervisor, BREAK_GLASS_URLS, ALLOWED)
        self.assert_status(self.supervisor, CONTENT_URLS, NOT_FOUND)

    def test_everyone_else_gets_404_on_every_case_url(self):
        for user in (
            self.colleague,
            self.outsider,
            self.other_supervisor,
            self.auditor,
            self.administrator,
            self.superuser,
        ):
            self.assert_status(user, CASE_URLS, NOT_FOUND)

    def test_missing_case_is_404_for_everyone(self):
        for user in (
            self.author,
            self.supervisor,
            self.auditor,
            self.administrator,
            self.superuser,
        ):
            for url_name, method in CASE_URLS:
                response = self.request(user, url_name, method, reference=MISSING)
                assert response.status_code == 404, (user, url_name, method)

    def test_forbidden_case_looks_exactly_like_a_missing_one(self):
        for url_name, method in CASE_URLS:
            forbidden = self.request(self.outsider, url_name, method)
            missing = self.request(self.outsider, url_name, method, reference=MISSING)
            assert forbidden.status_code == missing.status_code == 404
            assert without_csrf(forbidden.content) == without_csrf(missing.content)
            assert self.case.reference.encode() not in forbidden.content

    def test_anonymous_users_are_sent_to_sign_in(self):
        for url_name, method in CASE_URLS:
            response = self.request(None, url_name, method)
            assert response.status_code == 302, url_name
            assert response["Location"].startswith(reverse("login"))

    def test_sharing_opens_content_and_revoking_closes_it(self):
        case_share(supervisor=self.supervisor, case=self.case, user=self.colleague)
        self.assert_status(self.colleague, CONTENT_URLS[:2], ALLOWED)
        self.assert_status(self.colleague, DELETE_URLS, NOT_FOUND)  # sharing never gives deletion
        case_unshare(supervisor=self.supervisor, case=self.case, user=self.colleague)
        self.assert_status(self.colleague, CONTENT_URLS, NOT_FOUND)

    def test_supervisors_cannot_share_with_each_other(self):
        with self.assertRaises(SharingRefused):
            case_share(supervisor=self.supervisor_2, case=self.case, user=self.supervisor)
        self.assert_status(self.supervisor, CONTENT_URLS, NOT_FOUND)

    def test_grants_open_nothing_for_auditors_administrators_superusers_or_two_roles(self):
        """A grant left behind, or a team group joined through the admin, opens nothing."""
        for user in (self.auditor, self.administrator, self.superuser):
            user.groups.add(self.alpha.group)
        case_share(supervisor=self.supervisor, case=self.case, team=self.alpha)
        self.author.groups.add(Group.objects.get(name=Role.AUDITOR.value))  # now two roles
        for user in (self.auditor, self.administrator, self.superuser, self.author):
            self.assert_status(User.objects.get(pk=user.pk), CASE_URLS, NOT_FOUND)
        self.assert_status(self.colleague, CONTENT_URLS[:2], ALLOWED)

    def test_team_share_opens_content_to_team_caseworkers_only(self):
        case_share(supervisor=self.supervisor, case=self.case, team=self.alpha)
        self.assert_status(self.colleague, CONTENT_URLS[:2], ALLOWED)
        self.assert_status(self.outsider, CONTENT_URLS, NOT_FOUND)
        self.assert_status(self.supervisor_2, CONTENT_URLS, NOT_FOUND)

    def test_unknown_reference_shapes_are_404_not_errors(self):
        factories.sign_in(self.client, self.author)
        for path in ("/cases/CB-XXXX/", "/cases/%00/", "/cases/CB-0000-000I/edit/"):
            assert self.client.get(path).status_code == 404, path


class DetailPowersTests(CastTestCase):
    def test_edit_and_delete_links_come_from_the_case_s_own_query(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from casebook.cases.sharing import case_share

        case_share(supervisor=self.supervisor, case=self.case, user=self.colleague)
        url = reverse("casebook:case_detail", args=[self.case.reference])
        delete = reverse("casebook:case_delete", args=[self.case.reference])
        for reader, may_delete in ((self.author, True), (self.colleague, False)):
            factories.sign_in(self.client, reader)
            with CaptureQueriesContext(connection) as seen:
                page = self.client.get(url).content.decode()
            assert (f'href="{delete}"' in page) is may_delete, reader
            probes = [q for q in seen.captured_queries if q["sql"].startswith('SELECT 1 AS "a"')]
            assert probes == []  # no separate "can edit?" or "can delete?" query
