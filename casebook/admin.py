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
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.models import Team
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


class TeamAdmin(LookOnlyAdmin):
    list_display = ["name"]
    fields = ["name", "supervisors"]


class AccountAdmin(LookOnlyAdmin):
    list_display = ["username", "is_active", "last_login"]
    fields = ["username", "is_active", "groups", "last_login", "date_joined"]
    search_fields = ["username"]


class DeviceAdmin(LookOnlyAdmin):
    """Second-factor devices: seen and deleted, never read (no keys, no codes)."""

    list_display = ["user", "name", "confirmed"]
    fields = ["user", "name", "confirmed"]

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
admin.site.register(TOTPDevice, DeviceAdmin)
admin.site.register(StaticDevice, DeviceAdmin)
