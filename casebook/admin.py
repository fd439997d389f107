"""The admin site's registrations: look at accounts and teams, reset second factors.

Django finds them here. Administrators, with a verified second factor
(casebook.web.admin_site), may look at accounts and teams, and delete a user's
second-factor devices so that someone who lost theirs can enrol again; that
deletion is in the access log.

Nothing here changes roles, teams or passwords (use `add_user` and the audited
services), and no case, testimony, key, log or ledger model is registered."""

from typing import TYPE_CHECKING, Any, TypeAlias

from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.models import AuthenticatorDevice, BackupCodeList, Team
from casebook.roles import Role, role_of


def _is_administrator(request: HttpRequest) -> bool:
    return role_of(request.user) == Role.ADMINISTRATOR


# ModelAdmin is generic only to the type checker (no django_stubs_ext at run time).
if TYPE_CHECKING:
    ModelAdmin: TypeAlias = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


class LookOnlyAdmin(ModelAdmin):
    """Administrators may look; nobody adds or changes through the admin."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_administrator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def yes_or_no(value: bool) -> str:
    return str(_("yes") if value else _("no"))


class TeamAdmin(LookOnlyAdmin):
    list_display = ["name"]
    fields = ["name", "supervisors"]


class AccountAdmin(LookOnlyAdmin):
    """Accounts: their role and teams in words, never group names or flags as codes."""

    list_display = ["username", "role", "active", "last_login"]
    fields = ["username", "role", "teams", "active", "last_login", "date_joined"]
    readonly_fields = ["role", "teams", "active"]

    @admin.display(description=_("role"))
    def role(self, user: User) -> str:
        role = role_of(user)
        return role.label if role else str(_("no role"))

    @admin.display(description=_("teams"))
    def teams(self, user: User) -> str:
        names = [g.team.name for g in user.groups.filter(team__isnull=False)]
        names += [t.name for t in user.supervised_teams.all()]
        return ", ".join(sorted(names)) or "-"

    @admin.display(description=_("active"))
    def active(self, user: User) -> str:
        return yes_or_no(user.is_active)


class DeviceAdmin(LookOnlyAdmin):
    """Second-factor devices: seen and deleted, never read (no keys, no codes)."""

    list_display = ["owner", "device_name", "ready"]
    fields = ["owner", "device_name", "ready"]
    readonly_fields = ["owner", "device_name", "ready"]

    @admin.display(description=_("account"))
    def owner(self, device: Any) -> str:
        return str(device.user.get_username())

    @admin.display(description=_("name"))
    def device_name(self, device: Any) -> str:
        return str(device.name)

    @admin.display(description=_("confirmed"))
    def ready(self, device: Any) -> str:
        return yes_or_no(device.confirmed)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_administrator(request)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._record(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._record(request, list(queryset))
        super().delete_queryset(request, queryset)

    def _record(self, request: HttpRequest, devices: list[Any]) -> None:
        for device in devices:
            log.record(
                Action.AUTH_MFA_RESET,
                actor=Actor.of(request.user),
                target=device.user.get_username()[:64],
            )


# Django's and django-otp's own admins allow edits (or show keys); these replace them.
for model in (User, Group, TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
admin.site.register(Team, TeamAdmin)
admin.site.register(User, AccountAdmin)
admin.site.register(AuthenticatorDevice, DeviceAdmin)
admin.site.register(BackupCodeList, DeviceAdmin)
