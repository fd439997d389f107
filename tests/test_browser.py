"""A caseworker's path in a real browser (Playwright driving Debian's Chromium):
sign in, record a case whose testimony trips the identifier check, confirm, read it
back; once in English and once in Korean. The pages must work under the strict
Content-Security-Policy."""

import os

from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import override_settings

from casebook.models import CasePattern, CaseTestimony
from casebook.roles import Role
from tests import factories
from tests.browser import (
    InBrowser,
    PageChecks,
    authenticator,
    current_code,
    sign_in,
    skip_without_chromium,
)
from tests.transactional import LoggedTransactionTestCase

skip_without_chromium()


# The live server speaks plain HTTP, so its cookies cannot be Secure here; production's
# cookie flags are checked in test_sign_in.py and test_deployment.py.
@override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False)
class CaseworkerInBrowserTests(InBrowser, LoggedTransactionTestCase, StaticLiveServerTestCase):
    def test_record_confirm_identifiers_and_read_back(self):
        factories.team("Test Team Alpha")
        device = authenticator(factories.user("cw-browser", Role.CASEWORKER, "Test Team Alpha"))
        page = self.browser.new_page()
        violations = []
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
        )
        # Every role passes a second factor.
        sign_in(page, self.live_server_url, "cw-browser", factories.PASSWORD, current_code(device))
        page.wait_for_url("**/cases/")
        page.get_by_role("link", name="Record a case").click()
        page.get_by_label("Primary category").select_option("forced_marriage")
        page.get_by_label("Sold by a broker").check()
        page.get_by_label("Year of the pattern").select_option("2018")
        page.get_by_label("Province in China").select_option("liaoning")
        page.get_by_label("Province of origin in North Korea").select_option("ryanggang")
        page.get_by_label("Gender").select_option("female")
        page.get_by_label("Age at the time").select_option("18-24")
        page.get_by_label("Time spent in China").select_option("3-5y")
        page.get_by_label("Current status").select_option("south_korea")
        page.get_by_label("Source of the account").select_option("victim")
        page.get_by_label("Consent scope").select_option("aggregate")
        page.get_by_label("Narrative summary").fill(
            "Fictional browser test: reached by phone 138 1234 5678."
        )
        page.get_by_role("button", name="Record case").click()
        assert page.get_by_role("heading", name="Possible identifiers").is_visible()
        assert CasePattern.objects.count() == 0
        page.get_by_label("I have checked the possible identifiers").check()
        page.get_by_role("button", name="Record case").click()
        page.wait_for_url("**/cases/CB-*/")
        assert page.get_by_text("Fictional browser test").is_visible()
        assert page.get_by_text("Broker-arranged sale as a bride").count() == 0
        assert page.get_by_text("Sold by a broker").is_visible()
        assert (
            page.get_by_text("Liaoning").is_visible()
            and page.get_by_text("3 to 5 years").is_visible()
        )
        if os.environ.get("CASEBOOK_SCREENSHOT"):
            page.screenshot(path=os.environ["CASEBOOK_SCREENSHOT"], full_page=True)
        assert CasePattern.objects.count() == 1
        assert b"Fictional browser" not in bytes(CaseTestimony.objects.get().narrative)
        assert violations == []

    def test_the_same_journey_in_korean(self):
        factories.team("Test Team Alpha")
        device = authenticator(factories.user("cw-browser-ko", Role.CASEWORKER, "Test Team Alpha"))
        page = self.browser.new_page()
        violations = []
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
        )
        page.goto(f"{self.live_server_url}/accounts/login/")
        page.get_by_role("button", name="한국어").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "ko"
        page.get_by_label("사용자 이름").fill("cw-browser-ko")
        page.get_by_label("비밀번호").fill(factories.PASSWORD)
        page.get_by_role("button", name="로그인").click()
        page.wait_for_url("**/accounts/mfa/verify/**")
        page.locator("input[name=token]").fill(current_code(device))
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/cases/")
        page.get_by_role("link", name="사례 기록").click()
        page.get_by_label("주 분류").select_option("trafficking")
        page.get_by_label("브로커에 의한 매매").check()
        page.get_by_label("사례 발생 연도").select_option("2019")
        page.get_by_label("중국 내 지역").select_option("liaoning")
        page.get_by_label("북한 내 출신 지역").select_option("north_hamgyong")
        page.get_by_label("성별").select_option("female")
        page.get_by_label("당시 연령").select_option("18-24")
        page.get_by_label("중국 체류 기간").select_option("1-3y")
        page.get_by_label("현재 상태").select_option("in_china")
        page.get_by_label("증언 출처").select_option("victim")
        page.get_by_label("동의 범위").select_option("aggregate")
        page.get_by_label("증언 요약").fill(
            "가상의 브라우저 시험: 카톡 아이디: kim_1234 로 연락함."
        )
        page.get_by_role("button", name="사례 기록").click()
        assert page.get_by_role("heading", name="식별 정보 의심 항목").is_visible()
        assert page.get_by_text("카카오톡 아이디").is_visible()
        assert CasePattern.objects.count() == 0
        page.get_by_label("위에 나열된 식별 정보 의심 항목을 확인했으며").check()
        page.get_by_role("button", name="사례 기록").click()
        page.wait_for_url("**/cases/CB-*/")
        assert page.get_by_text("브로커에 의한 매매").is_visible()
        assert page.get_by_text("랴오닝성").is_visible()
        if os.environ.get("CASEBOOK_SCREENSHOT_KO"):
            page.screenshot(path=os.environ["CASEBOOK_SCREENSHOT_KO"], full_page=True)
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.get_by_text("Sold by a broker").is_visible()
        assert CasePattern.objects.count() == 1
        assert violations == []


@override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False)
class EveryPageTests(InBrowser, LoggedTransactionTestCase, StaticLiveServerTestCase):
    """Every role's pages, through the checks of tests/browser.py: at 360 px nothing runs
    off the side, axe-core finds nothing serious, each load stays under 60 KB."""

    def checks_for(self, user):
        from django.test import Client

        context = self.browser.new_context()
        if user is not None:
            client = Client()
            factories.sign_in(client, user)
            cookie = client.cookies["sessionid"].value
            context.add_cookies(
                [{"name": "sessionid", "value": cookie, "url": self.live_server_url}]
            )
        return PageChecks(context, self.live_server_url)

    def test_every_role_s_pages(self):
        from casebook.jobs.runner import run_due_jobs

        factories.team("Test Team Alpha")
        author = factories.user("cw-narrow", Role.CASEWORKER, "Test Team Alpha")
        supervisor = factories.user("sup-narrow", Role.SUPERVISOR, "Test Team Alpha")
        auditor = factories.user("aud-narrow", Role.AUDITOR)
        administrator = factories.user("adm-narrow", Role.ADMINISTRATOR)
        case = factories.case(author)
        run_due_jobs()
        pages = {
            None: ["/accounts/login/"],
            author: [
                "/cases/",
                "/cases/new/",
                f"/cases/{case.reference}/",
                f"/cases/{case.reference}/edit/",
                "/accounts/password/",
            ],
            supervisor: [
                "/cases/",
                "/dashboard/",
                "/exports/",
                "/exports/?first=category&format=csv",
                "/team/requests/",
                f"/cases/{case.reference}/sharing/",
                f"/cases/{case.reference}/break-glass/",
            ],
            auditor: ["/audit/"],
            administrator: ["/people/", "/people/invite/", f"/people/{author.pk}/"],
        }
        problems = []
        for user, paths in pages.items():
            checks = self.checks_for(user)
            for path in paths:
                checks.page.goto(f"{self.live_server_url}{path}")
                checks.check()
            problems += checks.problems
            checks.page.context.close()
        assert problems == []
