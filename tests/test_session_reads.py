"""Each request's session and second-factor device, read in prepared statements on
PostgreSQL (casebook.accounts.sessions, casebook.accounts.devices): they find what
Django's and django-otp's own reads find, and a request still loses its session or its
verification the moment either is no longer valid."""

import datetime as dt

from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.accounts.backend import AccountBackend
from casebook.accounts.devices import device_of_session, read_with_account
from casebook.accounts.second_factor import backup_codes_issue
from casebook.accounts.sessions import SessionStore
from tests import factories
from tests.cast import CastTestCase

CASES = "/cases/"


class SessionReadTests(CastTestCase):
    def signed_in_key(self) -> str:
        factories.sign_in(self.client, self.author)
        return self.client.session.session_key

    def test_a_live_session_reads_as_django_reads_it(self):
        key = self.signed_in_key()
        assert SessionStore(key).load() == DjangoSessionStore(key).load() != {}
        assert self.client.get(CASES).status_code == 200

    def test_sessions_written_before_this_store_still_read(self):
        # The previous release wrote sessions with Django's own store: they go on.
        earlier = DjangoSessionStore()
        earlier["kept"] = "fictional value"
        earlier.create()
        assert SessionStore(earlier.session_key).load() == {"kept": "fictional value"}

    def test_an_expired_or_unknown_session_reads_as_none(self):
        key = self.signed_in_key()
        Session.objects.filter(pk=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
        for session_key in (key, "x" * 32, "x" * 200, "short"):
            ours, django = SessionStore(session_key), DjangoSessionStore(session_key)
            assert ours.load() == django.load() == {}, session_key
            assert ours.session_key is None
        assert self.client.get(CASES)["Location"].startswith("/accounts/login/")


class DeviceReadTests(CastTestCase):
    def test_each_kind_of_device_reads_as_django_otp_reads_it(self):
        totp = TOTPDevice.objects.create(user=self.author, name="test device", confirmed=True)
        backup_codes_issue(self.author)
        static = StaticDevice.objects.get(user=self.author)
        for device in (totp, static):
            found = device_of_session(device.persistent_id)
            assert found == Device.from_persistent_id(device.persistent_id) == device
            assert type(found) is type(device)
            assert (found.user_id, found.confirmed, found.name) == (
                device.user_id,
                device.confirmed,
                device.name,
            )

    def test_a_device_read_with_its_account_is_the_one_django_otp_would_find(self):
        mine = TOTPDevice.objects.create(user=self.author, name="test device", confirmed=True)
        theirs = TOTPDevice.objects.create(user=self.colleague, name="theirs", confirmed=True)
        for device, expected in ((mine, mine), (theirs, None)):
            with read_with_account(device.persistent_id):
                assert AccountBackend().get_user(self.author.pk) == self.author
                with self.assertNumQueries(0):
                    found = device_of_session(device.persistent_id)
            assert found == expected, device
            if found is not None:
                assert (found.user_id, found.confirmed, found.name) == (
                    self.author.pk,
                    True,
                    "test device",
                )
        # Outside such a read (or for another id than the one wanted), read on its own.
        with read_with_account(mine.persistent_id):
            AccountBackend().get_user(self.author.pk)
            assert device_of_session(theirs.persistent_id) == theirs
        assert device_of_session(mine.persistent_id) == mine

    def test_a_device_deleted_since_counts_from_the_next_request(self):
        factories.sign_in(self.client, self.author)
        assert self.client.get(CASES).status_code == 200
        TOTPDevice.objects.filter(user=self.author).delete()
        StaticDevice.objects.filter(user=self.author).delete()
        assert self.client.get(CASES)["Location"].startswith("/accounts/")

    def test_ids_that_name_no_device_find_none(self):
        for persistent_id in (
            "otp_totp.totpdevice/999999",
            "otp_totp.totpdevice/0",
            "otp_totp.totpdevice/-3",
            f"otp_totp.totpdevice/{2**40}",
            "otp_totp.totpdevice/not-a-number",
            "otp_static.staticdevice/",
            "no_app.nomodel/1",
            "nonsense",
        ):
            assert device_of_session(persistent_id) is None, persistent_id

    def test_a_session_verified_with_another_person_s_device_is_not_verified(self):
        factories.sign_in(self.client, self.author)
        assert self.client.get(CASES).status_code == 200
        theirs = TOTPDevice.objects.create(user=self.colleague, name="theirs", confirmed=True)
        session = self.client.session
        session[DEVICE_ID_SESSION_KEY] = theirs.persistent_id
        session.save()
        assert self.client.get(CASES)["Location"].startswith("/accounts/mfa/verify/")

    def test_a_device_unconfirmed_since_counts_from_the_next_request(self):
        factories.sign_in(self.client, self.author)
        assert self.client.get(CASES).status_code == 200
        TOTPDevice.objects.filter(user=self.author).update(confirmed=False)
        assert self.client.get(CASES)["Location"].startswith("/accounts/")

    def test_views_get_the_account_itself_verified_or_not(self):
        from django.contrib.auth.models import AnonymousUser, User

        factories.sign_in(self.client, self.author)
        signed_in = self.client.get(CASES).wsgi_request.user
        assert type(signed_in) is User and signed_in.pk == self.author.pk
        assert signed_in.is_verified() and signed_in.otp_device is not None
        self.client.logout()
        anonymous = self.client.get("/accounts/login/").wsgi_request.user
        assert type(anonymous) is AnonymousUser and not anonymous.is_verified()
        self.client.force_login(self.author)  # the password passed, the second step not yet
        halfway = self.client.get(CASES)
        assert halfway.status_code == 302 and not halfway.wsgi_request.user.is_verified()
