"""Onboarding by invitation only, administrators' account pages, and supervisors
approving who joins their team."""

import datetime as dt
import re
import time

from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.accounts.invitations import invitation_issue
from casebook.accounts.second_factor import totp_device_confirm, totp_device_start
from casebook.accounts.services import account_create
from casebook.models import AccessEvent, Invitation, MembershipRequest
from casebook.roles import Role
from tests import factories
from tests.cast import CastTestCase

NEW_PASSWORD = "fictional-own-password-31"


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def actions() -> list[str]:
    return list(AccessEvent.objects.order_by("id").values_list("action", flat=True))


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
class InvitationTests(CastTestCase):
    def invite(self, username="cw-invited"):
        user = User.objects.create_user(username)
        user.set_unusable_password()
        user.save()
        token = invitation_issue(user, made_by=self.administrator, replace_credentials=False)
        return user, token

    def open(self, token):
        response = self.client.get(reverse("invitation_open", args=[token]))
        if response.status_code != 302:
            return response
        assert response["Location"] == reverse("invitation_accept")
        assert token not in str(dict(self.client.session))  # only the invitation's id
        return self.client.get(reverse("invitation_accept"))

    def accept(self, user, password=NEW_PASSWORD, code=None):
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        data = {"new_password1": password, "new_password2": password}
        data["token"] = code if code is not None else code_for(device)
        return self.client.post(reverse("invitation_accept"), data)

    def test_the_invited_person_sets_their_own_password_and_second_factor(self):
        user, token = self.invite()
        page = self.open(token)
        assert page.status_code == 200 and "<svg" in page.content.decode()
        assert token not in page.content.decode()
        assert self.accept(user, code="000000").status_code == 400
        assert self.accept(user, password="short").status_code == 400
        user.refresh_from_db()
        assert not user.has_usable_password()  # refused submits changed nothing
        done = self.accept(user)
        assert done.status_code == 200 and len(done.context["codes"]) == 10
        user.refresh_from_db()
        assert user.check_password(NEW_PASSWORD)
        assert TOTPDevice.objects.get(user=user).confirmed
        assert Invitation.objects.get(user=user).used_at is not None
        assert actions()[-1] == "account.invite_accept"
        # Single use: the same link again is refused, and the refusal is recorded.
        self.client.logout()
        assert self.open(token).status_code == 404
        assert actions()[-1] == "account.invite_refused"
        assert token not in "".join(AccessEvent.objects.values_list("target", flat=True))

    def test_expired_voided_and_unknown_links_look_the_same(self):
        user, old = self.invite()
        newer = invitation_issue(user, made_by=self.administrator, replace_credentials=False)
        expired_user, expired = self.invite("cw-late")
        Invitation.objects.filter(user=expired_user).update(
            expires_at=timezone.now() - dt.timedelta(minutes=1)
        )
        bodies = set()
        for token in (old, expired, "no-such-invitation"):
            self.client.logout()
            response = self.open(token)
            assert response.status_code == 404
            bodies.add(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.text))
        assert len(bodies) == 1
        self.client.logout()
        assert self.open(newer).status_code == 200

    def test_a_key_is_bound_to_the_page_that_showed_it(self):
        user, token = self.invite()
        self.open(token)
        first = TOTPDevice.objects.get(user=user, confirmed=False)
        self.open(token)  # a second visit: a new key; the first can no longer be confirmed
        assert not TOTPDevice.objects.filter(pk=first.pk).exists()
        assert TOTPDevice.objects.filter(user=user, confirmed=False).count() == 1

    def test_a_signed_in_person_is_not_signed_out_by_a_link(self):
        _user, token = self.invite()
        factories.sign_in(self.client, self.author)
        response = self.client.get(reverse("invitation_open", args=[token]))
        assert response.status_code == 409
        assert self.client.get(reverse("casebook:case_list")).status_code == 200

    def test_accepting_any_invitation_leaves_only_the_device_enrolled_through_it(self):
        old_device = totp_device_start(self.author)
        totp_device_confirm(self.author, old_device)
        token = invitation_issue(self.author, made_by=self.administrator, replace_credentials=False)
        self.open(token)
        assert self.accept(self.author).status_code == 200
        assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
        assert TOTPDevice.objects.filter(user=self.author).count() == 1
        assert StaticDevice.objects.filter(user=self.author).count() == 1  # the new codes

    def test_an_opened_link_is_kept_for_half_an_hour_only(self):
        user, token = self.invite()
        self.open(token)
        session = self.client.session
        session["casebook_invitation"] = [session["casebook_invitation"][0], time.time() - 3600]
        session.save()
        assert self.client.get(reverse("invitation_accept")).status_code == 404

    def test_a_link_opened_while_signed_in_is_refused_and_recorded(self):
        _user, token = self.invite()
        factories.sign_in(self.client, self.author)
        assert self.client.get(reverse("invitation_open", args=[token])).status_code == 409
        event = AccessEvent.objects.order_by("-id").first()
        assert (event.action, event.outcome, event.actor_username) == (
            "account.invite_refused",
            "denied",
            "cw-author",
        )

    def test_reinvitation_removes_the_password_and_devices_and_ends_sessions(self):
        device = totp_device_start(self.author)
        totp_device_confirm(self.author, device)
        factories.sign_in(self.client, self.author)
        assert self.client.get(reverse("casebook:case_list")).status_code == 200
        first = invitation_issue(self.author, made_by=self.administrator, replace_credentials=False)
        invitation_issue(self.author, made_by=self.administrator, replace_credentials=True)
        self.author.refresh_from_db()
        assert not self.author.has_usable_password()
        assert not TOTPDevice.objects.filter(user=self.author).exists()
        assert not StaticDevice.objects.filter(user=self.author).exists()
        assert self.client.get(reverse("casebook:case_list")).status_code == 302  # signed out
        self.client.logout()
        assert self.open(first).status_code == 404  # the earlier link is void
        assert "account.reinvite" in actions()


class AdministratorPagesTests(CastTestCase):
    def setUp(self):
        factories.sign_in(self.client, self.administrator)

    def test_administrators_land_on_people_with_role_team_and_second_factor(self):
        device = totp_device_start(self.author)
        totp_device_confirm(self.author, device)
        assert self.client.get("/")["Location"] == reverse("casebook:people_list")
        page = self.client.get(reverse("casebook:people_list")).content.decode()
        row = page[page.index("cw-author") :].split("</tr>")[0]
        assert "Caseworker" in row and "Test Team Alpha" in row and "enrolled" in row
        other_row = page[page.index("cw-colleague") :].split("</tr>")[0]
        assert "none" in other_row

    def test_an_invitation_made_in_the_browser_is_flagged_and_waits_for_the_supervisor(self):
        response = self.client.post(
            reverse("casebook:person_invite"),
            {"username": "cw-browser", "role": "caseworker", "team": "Test Team Alpha"},
        )
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        link = response.context["link"]
        assert "/invitation/" in link
        user = User.objects.get(username="cw-browser")
        assert MembershipRequest.objects.filter(user=user).exists()
        assert not user.groups.filter(team__isnull=False).exists()
        assert {"account.create", "team.join_request", "account.invite"} <= set(actions())
        factories.sign_in(self.client, self.auditor)
        log_page = self.client.get(reverse("casebook:access_log")).content.decode()
        assert "FLAGGED" in log_page

    def test_bad_invitations_are_refused_with_their_reason_and_change_nothing(self):
        for data, field in (
            ({"username": "cw-x", "role": "caseworker", "team": ""}, "team"),
            ({"username": "aud-x", "role": "auditor", "team": "Test Team Alpha"}, "team"),
            ({"username": "cw-author", "role": "auditor", "team": ""}, "username"),
            ({"username": "bad name!", "role": "auditor", "team": ""}, "username"),
            ({"username": "x", "role": "superuser", "team": ""}, "role"),
        ):
            before = User.objects.count()
            response = self.client.post(reverse("casebook:person_invite"), data)
            assert response.status_code == 400 and field in response.context["form"].errors
            assert User.objects.count() == before

    def test_unlock_and_deactivate_are_recorded_and_an_administrator_keeps_their_own(self):
        AccessAttempt.objects.create(
            username="cw-author",
            ip_address="192.0.2.9",
            failures_since_start=5,
            attempt_time=timezone.now(),
            user_agent="",
            get_data="",
            post_data="",
            http_accept="",
            path_info="/",
        )
        detail = self.client.get(reverse("casebook:person_detail", args=[self.author.pk]))
        assert "locked" in detail.content.decode()
        self.client.post(reverse("casebook:person_unlock", args=[self.author.pk]))
        assert not AccessAttempt.objects.filter(username="cw-author").exists()
        self.client.post(reverse("casebook:person_deactivate", args=[self.author.pk]))
        self.author.refresh_from_db()
        assert not self.author.is_active
        self.client.post(reverse("casebook:person_deactivate", args=[self.administrator.pk]))
        self.administrator.refresh_from_db()
        assert self.administrator.is_active
        assert actions()[-2:] == ["account.unlock", "account.deactivate"]

    def test_other_roles_are_refused_and_recorded(self):
        for user in (self.supervisor, self.auditor, self.author):
            self.client.logout()
            factories.sign_in(self.client, user)
            response = self.client.post(
                reverse("casebook:person_deactivate", args=[self.colleague.pk])
            )
            assert response.status_code == 403
            assert actions()[-1] == "page.denied"
        self.colleague.refresh_from_db()
        assert self.colleague.is_active


class MembershipTests(CastTestCase):
    def test_a_caseworker_sees_team_cases_only_after_a_supervisor_approves(self):
        other_supervisor = factories.user("sup-beta", Role.SUPERVISOR, "Test Team Beta")
        newcomer = account_create(
            username="cw-newcomer", role=Role.CASEWORKER, team_name="Test Team Alpha"
        )
        pending = MembershipRequest.objects.get(user=newcomer)
        factories.sign_in(self.client, other_supervisor)
        self.client.post(
            reverse("casebook:membership_requests"), {"request": pending.pk, "decision": "approve"}
        )
        assert MembershipRequest.objects.filter(pk=pending.pk).exists()  # not theirs to decide
        self.client.logout()
        factories.sign_in(self.client, self.supervisor)
        page = self.client.get(reverse("casebook:membership_requests")).content.decode()
        assert "cw-newcomer" in page
        self.client.post(
            reverse("casebook:membership_requests"), {"request": pending.pk, "decision": "approve"}
        )
        assert newcomer.groups.filter(team__name="Test Team Alpha").exists()
        assert actions()[-1] == "team.join_approve"
        for odd in ("x" * 40, "²", "9" * 30):
            bad = self.client.post(
                reverse("casebook:membership_requests"), {"request": odd, "decision": "approve"}
            )
            assert bad.status_code == 302

    def test_a_supervisor_invited_in_the_browser_oversees_nothing_until_approved(self):
        factories.sign_in(self.client, self.administrator)
        self.client.post(
            reverse("casebook:person_invite"),
            {"username": "sup-new", "role": "supervisor", "team": "Test Team Alpha"},
        )
        newcomer = User.objects.get(username="sup-new")
        assert not newcomer.supervised_teams.exists()
        pending = MembershipRequest.objects.get(user=newcomer)
        self.client.logout()
        factories.sign_in(self.client, self.supervisor)
        self.client.post(
            reverse("casebook:membership_requests"), {"request": pending.pk, "decision": "approve"}
        )
        assert list(newcomer.supervised_teams.values_list("name", flat=True)) == ["Test Team Alpha"]

    def test_deciding_a_request_that_is_not_yours_is_refused_and_recorded(self):
        factories.sign_in(self.client, self.supervisor)
        self.client.post(
            reverse("casebook:membership_requests"), {"request": "424242", "decision": "approve"}
        )
        event = AccessEvent.objects.order_by("-id").first()
        assert (event.action, event.outcome) == ("team.join_approve", "denied")
