"""Each role lands on its own start page, and the header offers only what it may use."""

from django.contrib.auth.models import User
from django.urls import reverse

from casebook.models import AccessEvent
from tests import factories
from tests.cast import CastTestCase


class StartPageTests(CastTestCase):
    def test_each_role_lands_on_its_own_page_and_no_denial_is_recorded(self):
        for user, start in (
            (self.author, reverse("casebook:case_list")),
            (self.supervisor, reverse("casebook:case_list")),
            (self.auditor, reverse("casebook:access_log")),
            (self.administrator, reverse("casebook:people_list")),
        ):
            factories.sign_in(self.client, user)
            response = self.client.get("/", follow=True)
            assert response.redirect_chain[-1][0] == start, user.username
            assert response.status_code == 200
        assert not AccessEvent.objects.filter(action="page.denied").exists()

    def test_signed_out_visitors_are_sent_to_sign_in_and_no_role_is_told_so(self):
        assert self.client.get("/")["Location"] == reverse("login")
        nobody = User.objects.create_user("no-role-1", password=factories.PASSWORD)
        self.client.force_login(nobody)
        page = self.client.get("/")
        assert page.status_code == 200 and "no role in Casebook yet" in page.content.decode()

    def test_before_the_second_step_the_header_offers_only_signing_out(self):
        self.client.force_login(self.supervisor)  # password passed, second factor not yet
        page = self.client.get(reverse("mfa_missing")).content.decode()
        assert "Sign out" in page
        for link in ("/cases/", "/dashboard/", "/accounts/password/"):
            assert f'href="{link}"' not in page, link
        factories.sign_in(self.client, self.supervisor)
        page = self.client.get(reverse("casebook:case_list")).content.decode()
        assert 'href="/dashboard/"' in page and 'href="/audit/"' not in page

    def test_the_navigation_is_each_role_s_own_in_the_reader_s_language(self):
        # Drawn once per role and language, and kept: each drawing must stay its own.
        links = {
            self.author: ('href="/cases/new/"', "Record a case", "사례 기록"),
            self.supervisor: ('href="/dashboard/"', "Dashboard", "대시보드"),
            self.auditor: ('href="/audit/"', "Access log", "접근 기록"),
        }
        for language in ("en", "ko", "en"):
            for user, start in (
                (self.author, "/cases/"),
                (self.supervisor, "/cases/"),
                (self.auditor, "/audit/"),
            ):
                factories.sign_in(self.client, user)
                self.client.cookies["django_language"] = language
                page = self.client.get(start).content.decode()
                nav = page[page.index("<nav") : page.index("</nav>")]
                for other, (link, english, korean) in links.items():
                    assert (link in nav) == (other == user), (user.username, link)
                    if other == user:
                        assert (english if language == "en" else korean) in nav
