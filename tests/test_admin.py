"""The admin site: administrators look at accounts and reset devices, and change nothing."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.models import AccessEvent
from tests import factories
from tests.cast import CastTestCase

CHANGE_REFUSED = 403  # Django's admin refuses a change to a view-only object


class AdminSiteTests(CastTestCase):
    def test_administrators_look_at_accounts_and_reset_devices_but_change_nothing(self):
        victim = TOTPDevice.objects.create(user=self.author, name="lost phone", confirmed=True)
        factories.sign_in(self.client, self.administrator)
        assert self.client.get("/admin/auth/user/").status_code == 200
        change = self.client.post(
            f"/admin/auth/user/{self.author.pk}/change/",
            {"username": "renamed", "is_active": "on"},
        )
        assert change.status_code == CHANGE_REFUSED
        self.author.refresh_from_db()
        assert self.author.username == "cw-author"
        assert self.client.get("/admin/auth/group/").status_code == 404
        response = self.client.post(
            f"/admin/casebook/authenticatordevice/{victim.pk}/delete/", {"post": "yes"}
        )
        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(pk=victim.pk).exists()
        event = AccessEvent.objects.order_by("-id").first()
        assert (event.action, event.target) == ("auth.mfa_reset", "cw-author")
