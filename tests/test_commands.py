import io
import os

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from casebook.accounts.invitations import invitation_find
from casebook.models import CasePattern, Invitation, MembershipRequest, Team
from casebook.roles import Role, role_of

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "fictional-password-for-tests-9"


def test_add_user_creates_a_caseworker_waiting_for_approval_and_prints_an_invitation():
    out = io.StringIO()
    call_command(
        "add_user",
        "cw-new",
        "--role",
        "caseworker",
        "--team",
        "Test Team New",
        "--site-url",
        "https://casebook.example.org/",
        stdout=out,
    )
    user = User.objects.get(username="cw-new")
    assert role_of(user) == Role.CASEWORKER
    assert not user.has_usable_password()  # the person sets it, through the invitation
    assert not user.is_superuser and not user.is_staff
    team = Team.objects.get(name="Test Team New")
    assert not team.group.user_set.filter(pk=user.pk).exists()  # until a supervisor approves
    assert MembershipRequest.objects.filter(team=team, user=user).exists()
    link = out.getvalue().strip().splitlines()[-1]
    assert link.startswith("https://casebook.example.org/invitation/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert invitation_find(token).user == user
    assert token not in "".join(Invitation.objects.values_list("digest", flat=True))


def test_add_user_makes_supervisors_oversee_and_administrators_staff():
    call_command("add_user", "sup-new", "--role", "supervisor", "--team", "Test Team New")
    call_command("add_user", "adm-new", "--role", "administrator")
    supervisor = User.objects.get(username="sup-new")
    assert list(supervisor.supervised_teams.values_list("name", flat=True)) == ["Test Team New"]
    assert not Team.objects.get(name="Test Team New").group.user_set.exists()
    admin = User.objects.get(username="adm-new")
    assert admin.is_staff and not admin.is_superuser


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["x1", "--role", "superuser"], "Unknown role 'superuser'"),
        (["x2", "--role", "caseworker"], "needs a team"),
        (["x3", "--role", "auditor", "--team", "T"], "does not belong to a team"),
        (["x 4", "--role", "auditor"], "Enter a valid username"),
    ],
)
def test_add_user_refuses_clearly_and_creates_nothing(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("add_user", *arguments)
    assert not User.objects.exists()
    assert not Team.objects.exists()
    assert not Invitation.objects.exists()


def test_add_user_refuses_a_taken_username():
    call_command("add_user", "taken", "--role", "auditor")
    with pytest.raises(CommandError, match="is taken"):
        call_command("add_user", "taken", "--role", "auditor")
    assert list(User.objects.values_list("username", flat=True)) == ["taken"]
    assert Invitation.objects.count() == 1


def test_seed_demo_refuses_without_demo_flag(monkeypatch):
    monkeypatch.delenv("CASEBOOK_DEMO", raising=False)
    monkeypatch.setenv("CASEBOOK_DEMO_PASSWORD", GOOD_PASSWORD)
    with pytest.raises(CommandError, match="CASEBOOK_DEMO=1"):
        call_command("seed_demo")
    assert not CasePattern.objects.exists()


def test_seed_demo_creates_every_role_and_cases_once(monkeypatch):
    monkeypatch.setenv("CASEBOOK_DEMO", "1")
    monkeypatch.setenv("CASEBOOK_DEMO_PASSWORD", GOOD_PASSWORD)
    call_command("seed_demo")
    users = User.objects.count()
    cases = CasePattern.objects.count()
    call_command("seed_demo")
    assert (User.objects.count(), CasePattern.objects.count()) == (users, cases)
    assert cases >= 200
    roles = {role_of(u) for u in User.objects.all()}
    assert roles == set(Role)
    categories = set(CasePattern.objects.values_list("primary_category", flat=True))
    assert categories == {"trafficking", "forced_marriage", "detention", "forcible_repatriation"}
    assert all(u.username.startswith("demo-") for u in User.objects.all())


def test_seed_demo_gives_mfa_accounts_backup_codes_that_work(monkeypatch, tmp_path, client):
    from django_otp import match_token

    codes_file = tmp_path / "codes.txt"
    monkeypatch.setenv("CASEBOOK_DEMO", "1")
    monkeypatch.setenv("CASEBOOK_DEMO_PASSWORD", GOOD_PASSWORD)
    monkeypatch.setenv("CASEBOOK_DEMO_CODES_FILE", str(codes_file))
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    lines = dict(line.split(": ") for line in codes_file.read_text().splitlines())
    assert set(lines) == {  # every role signs in with a second factor
        "demo-caseworker",
        "demo-caseworker-2",
        "demo-caseworker-birch",
        "demo-supervisor",
        "demo-supervisor-2",
        "demo-auditor",
        "demo-administrator",
    }
    assert oct(codes_file.stat().st_mode)[-3:] == "600"
    supervisor = User.objects.get(username="demo-supervisor")
    code = lines["demo-supervisor"].split()[0]
    assert match_token(supervisor, code) is not None
    assert match_token(supervisor, code) is None  # single use


def test_a_demo_code_used_at_sign_in_is_marked_in_the_demo_file(monkeypatch, tmp_path, client):
    from django.test import override_settings

    codes_file = tmp_path / "codes.txt"
    monkeypatch.setenv("CASEBOOK_DEMO", "1")
    monkeypatch.setenv("CASEBOOK_DEMO_PASSWORD", GOOD_PASSWORD)
    monkeypatch.setenv("CASEBOOK_DEMO_CODES_FILE", str(codes_file))
    call_command("seed_demo", stdout=io.StringIO())
    lines = dict(line.split(": ") for line in codes_file.read_text().splitlines())
    first, second = lines["demo-auditor"].split()[:2]
    client.post("/accounts/login/", {"username": "demo-auditor", "password": GOOD_PASSWORD})
    with override_settings(CASEBOOK_DEMO_CODES_FILE=str(codes_file)):
        assert client.post("/accounts/mfa/verify/", {"token": first}).status_code == 302
    marked = dict(line.split(": ") for line in codes_file.read_text().splitlines())
    assert marked["demo-auditor"].split()[:2] == [f"{first}(used)", second]
    assert marked["demo-supervisor"] == lines["demo-supervisor"]
