"""Each role's daily work in a real browser, with outcomes asserted, and the checks of
tests/browser.py (axe-core, 360 px, page weight, no third party) on every page visited.

Sign-ins use single-use backup codes: a TOTP code may not be used twice in its 30
seconds, and journeys sign in more than once.
"""

import csv

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.db import connection
from django.test import override_settings

from casebook.accounts.second_factor import backup_codes_issue
from casebook.jobs.runner import run_due_jobs
from casebook.models import AccessEvent, CaseDraft, CasePattern, Invitation
from casebook.roles import Role
from casebook.web.idle import LAST_SEEN
from tests import factories
from tests.browser import InBrowser, PageChecks, authenticator, sign_in, skip_without_chromium
from tests.transactional import LoggedTransactionTestCase, log_triggers_dropped

skip_without_chromium()

OWN_PASSWORD = "fictional-own-secret-55"
TYPED = "FICTIONAL-JOURNEY: an interview summary typed in a browser test."


def actions() -> list[str]:
    return list(AccessEvent.objects.order_by("id").values_list("action", flat=True))


def fill_case_form(page) -> None:
    page.get_by_label("Primary category").select_option("detention")
    page.get_by_label("Interrogation", exact=True).check()
    page.get_by_label("Year of the pattern").select_option("2017")
    page.get_by_label("Province in China").select_option("jilin")
    page.get_by_label("Province of origin in North Korea").select_option("north_hamgyong")
    page.get_by_label("Gender").select_option("female")
    page.get_by_label("Age at the time").select_option("25-34")
    page.get_by_label("Time spent in China").select_option("1-3y")
    page.get_by_label("Current status").select_option("south_korea")
    page.get_by_label("Source of the account").select_option("victim")
    page.get_by_label("Consent scope").select_option("aggregate")


@override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False)
class JourneyTests(InBrowser, LoggedTransactionTestCase, StaticLiveServerTestCase):
    def setUp(self):
        super().setUp()
        self.alpha = factories.team("Test Team Alpha")
        self.contexts = []

    def tearDown(self):
        for context in self.contexts:
            context.close()
        super().tearDown()

    def person(self, username, role, team=None):
        user = factories.user(username, role, team)
        authenticator(user)
        return user, backup_codes_issue(user)

    def checked_page(self) -> PageChecks:
        context = self.browser.new_context(accept_downloads=True)
        self.contexts.append(context)
        return PageChecks(context, self.live_server_url)

    def signed_in(self, user, codes) -> PageChecks:
        checks = self.checked_page()
        sign_in(checks.page, self.live_server_url, user.username, factories.PASSWORD, codes.pop())
        checks.check()
        return checks

    def assert_clean(self, *checks: PageChecks) -> None:
        problems = [problem for c in checks for problem in c.problems]
        assert problems == []
        assert all(c.checked for c in checks)

    def test_an_invitation_accepted_with_the_person_s_own_password_and_second_factor(self):
        admin, admin_codes = self.person("adm-journey", Role.ADMINISTRATOR)
        checks = self.signed_in(admin, admin_codes)
        page = checks.page
        assert page.get_by_role("heading", name="Accounts").is_visible()
        page.get_by_role("link", name="Invite someone").click()
        checks.check()
        page.get_by_label("Username").fill("cw-journey")
        page.get_by_label("Role").select_option("caseworker")
        page.get_by_label("Team").select_option("Test Team Alpha")
        page.get_by_role("button", name="Make the invitation").click()
        checks.check()
        link = page.locator("code.invitation-link").inner_text()

        invited = self.checked_page()
        invited.page.goto(link)
        invited.check()
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from tests.browser import current_code

        device = TOTPDevice.objects.get(user__username="cw-journey", confirmed=False)
        invited.page.locator("#id_new_password1").fill(OWN_PASSWORD)
        invited.page.locator("#id_new_password2").fill(OWN_PASSWORD)
        invited.page.get_by_label("Code from your authenticator app").fill(current_code(device))
        invited.page.get_by_role("button", name="Set up my account").click()
        invited.check()
        codes = invited.page.locator(".backup-codes code").all_inner_texts()
        assert len(codes) == 10
        sign_in(invited.page, self.live_server_url, "cw-journey", OWN_PASSWORD, codes[0])
        invited.page.wait_for_url("**/cases/")
        invited.check()
        assert Invitation.objects.get(user__username="cw-journey").used_at is not None
        assert {"account.invite", "account.invite_accept", "auth.mfa"} <= set(actions())
        self.assert_clean(checks, invited)

    @override_settings(CASEBOOK_IDLE_SECONDS=600)
    def test_a_submit_after_the_idle_limit_comes_back_after_signing_in_again(self):
        author, codes = self.person("cw-idle", Role.CASEWORKER, "Test Team Alpha")
        other, other_codes = self.person("cw-idle-other", Role.CASEWORKER, "Test Team Alpha")
        checks = self.signed_in(author, codes)
        page = checks.page
        page.get_by_role("link", name="Record a case").click()
        checks.check()
        fill_case_form(page)
        page.get_by_label("Narrative summary").fill(TYPED)
        # The session really expires: its last activity moved back past the limit.
        key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
        session = SessionStore(session_key=key)
        session[LAST_SEEN] = session[LAST_SEEN] - 3600
        session.save()
        page.get_by_role("button", name="Record case").click()
        page.wait_for_url("**/accounts/login/**")
        checks.check()
        assert CasePattern.objects.count() == 0
        kept = CaseDraft.objects.get()
        assert kept.expires_at is not None and kept.author == author

        stranger = self.signed_in(other, other_codes)
        response = stranger.page.goto(f"{self.live_server_url}/cases/new/?draft={kept.pk}")
        assert response.status == 404 and TYPED not in stranger.page.content()

        page.get_by_label("Username").fill("cw-idle")
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.locator("input[name=token]").fill(codes.pop())
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url("**/cases/new/?draft=*")
        checks.check()
        assert page.get_by_label("Narrative summary").input_value() == TYPED
        self.assert_clean(checks)

    def test_a_draft_survives_a_reload_and_a_new_sign_in_and_is_gone_once_recorded(self):
        author, codes = self.person("cw-draft", Role.CASEWORKER, "Test Team Alpha")
        checks = self.signed_in(author, codes)
        page = checks.page
        page.clock.install()
        page.get_by_role("link", name="Record a case").click()
        page.wait_for_url("**/cases/new/")
        page.wait_for_load_state("load")  # the autosave script listens from here on
        page.get_by_label("Narrative summary").fill(TYPED)
        page.clock.run_for(61_000)  # the autosave's minute passes
        page.get_by_text("Draft saved automatically").wait_for()
        assert CaseDraft.objects.count() == 1
        page.get_by_role("button", name="Save draft").click()
        page.wait_for_url("**/cases/new/?draft=*")
        checks.check()
        assert CaseDraft.objects.count() == 1  # the autosave and the button: one draft
        page.reload()
        assert page.get_by_label("Narrative summary").input_value() == TYPED
        page.get_by_role("button", name="Sign out").click()
        sign_in(page, self.live_server_url, "cw-draft", factories.PASSWORD, codes.pop())
        page.wait_for_url("**/cases/")
        checks.check()
        page.get_by_role("link", name="A new case").click()
        checks.check()
        assert page.get_by_label("Narrative summary").input_value() == TYPED
        fill_case_form(page)
        page.get_by_role("button", name="Record case").click()
        page.wait_for_url("**/cases/CB-*/")
        checks.check()
        assert CasePattern.objects.count() == 1 and CaseDraft.objects.count() == 0
        assert {"draft.save", "draft.open", "draft.destroy"} <= set(actions())
        self.assert_clean(checks)

    def test_an_export_built_costed_downloaded_and_read_as_csv(self):
        author = factories.user("cw-export", Role.CASEWORKER, "Test Team Alpha")
        for _ in range(12):
            factories.case(author)
        supervisor, codes = self.person("sup-export", Role.SUPERVISOR, "Test Team Alpha")
        run_due_jobs()  # the week's snapshot
        checks = self.signed_in(supervisor, codes)
        page = checks.page
        page.get_by_role("link", name="Export statistics").click()
        checks.check()
        page.get_by_label("First dimension").select_option("category")
        page.get_by_role("button", name="See the cost").click()
        checks.check()
        assert page.get_by_text("exports left this month").is_visible()
        assert page.get_by_text("costs epsilon").is_visible()
        with page.expect_download() as download:
            page.get_by_role("button", name="Download").click()
        with open(download.value.path(), encoding="utf-8") as downloaded:
            rows = list(csv.reader(downloaded))
        assert rows[0][:2] == ["category", "category_name"]
        assert rows[1][0].startswith("#")  # the HXL row
        assert any(row[0] == "detention" or row[0] == "trafficking" for row in rows[2:])
        assert AccessEvent.objects.filter(action="export.create", outcome="allowed").exists()
        self.assert_clean(checks)

    def test_verification_from_the_browser_reports_intact_then_broken(self):
        auditor, codes = self.person("aud-journey", Role.AUDITOR)
        checks = self.signed_in(auditor, codes)
        page = checks.page
        page.get_by_role("button", name="Verify now").click()
        checks.check()
        assert page.get_by_text("waiting for the scheduler").is_visible()
        run_due_jobs()
        page.reload()
        checks.check()
        assert page.get_by_text("Intact:").is_visible()
        with log_triggers_dropped(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE casebook_accessevent SET target = 'rewritten' WHERE id = "
                "(SELECT event_id FROM casebook_accessseal WHERE position = 2)"
            )
        page.get_by_role("button", name="Verify now").click()
        run_due_jobs()
        page.reload()
        checks.check()
        assert page.get_by_text("Broken: the first bad event is number 2").is_visible()
        self.assert_clean(checks)

    def test_the_checks_fail_on_a_planted_violation(self):
        """A label taken off the sign-in page's password field is caught by axe-core, a
        wide element by the 360 px check."""
        checks = self.checked_page()
        checks.page.goto(f"{self.live_server_url}/accounts/login/")
        checks.check()
        assert checks.problems == []
        checks.page.evaluate(
            """() => {
                document.querySelector("label[for=id_password]").remove();
                const wide = document.createElement("div");
                wide.style.width = "900px";  // set through the DOM: the CSP refuses inline styles
                wide.textContent = "wide";
                document.querySelector("main").append(wide);
            }"""
        )
        checks.check()
        assert any("axe label (critical)" in problem for problem in checks.problems)
        assert any("wider than 360 px" in problem for problem in checks.problems)
