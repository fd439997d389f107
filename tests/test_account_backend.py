"""Each signed-in request finds its account and its groups in one statement
(casebook.accounts.backend), and still sees at once what changed since the last one."""

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY

from casebook.accounts.backend import WITH_DEVICE, AccountBackend
from casebook.roles import Role, group_ids_of, role_of
from tests import factories
from tests.cast import CastTestCase

START = "/"  # a signed-in request that only sends its person to their own page


class AccountBackendTests(CastTestCase):
    def statements(self) -> list[str]:
        with CaptureQueriesContext(connection) as seen:
            answer = self.client.get(START)
        assert answer.status_code == 302
        return [query["sql"] for query in seen.captured_queries]

    def test_the_account_its_groups_and_its_device_are_one_statement(self):
        factories.sign_in(self.client, self.author)
        statements = self.statements()
        label = self.client.session[DEVICE_ID_SESSION_KEY].rpartition("/")[0]  # "app.model"
        account = [sql for sql in statements if "auth_user_groups" in sql]
        assert account == [WITH_DEVICE[label]]
        # The device is not read again on its own.
        device_table = label.replace(".", "_")
        assert [sql for sql in statements if device_table in sql] == account
        user = AccountBackend().get_user(str(self.author.pk))
        assert user == self.author and user.password == self.author.password
        assert role_of(user) == Role.CASEWORKER
        assert sorted(group_ids_of(user)) == sorted(self.author.groups.values_list("id", flat=True))

    def test_a_role_taken_away_counts_from_the_next_request(self):
        factories.sign_in(self.client, self.author)
        assert self.client.get(START)["Location"] == "/cases/"
        self.author.groups.remove(Group.objects.get(name=Role.CASEWORKER.value))
        no_role = self.client.get(START)
        assert no_role.status_code == 200 and "casebook/no_role.html" in [
            template.name for template in no_role.templates
        ]
        assert role_of(AccountBackend().get_user(self.author.pk)) is None

    def test_a_deactivated_account_is_signed_out(self):
        factories.sign_in(self.client, self.author)
        User.objects.filter(pk=self.author.pk).update(is_active=False)
        assert self.client.get(START)["Location"].startswith("/accounts/login/")

    def test_ids_that_name_no_account_find_none(self):
        backend = AccountBackend()
        for user_id in ("0", "-1", str(2**40), "not a number", None, "999999"):
            assert backend.get_user(user_id) is None, user_id
        session = self.client.session
        session[SESSION_KEY] = "999999"
        session.save()
        assert self.client.get(START)["Location"].startswith("/accounts/login/")
