"""Django's admin, on Casebook's site: administrators with a verified second factor.

The site class lives here, apart from casebook/admin.py's registrations, so that
creating the default site never re-imports a half-loaded module. Named by
casebook.apps.CasebookAdminConfig.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from django_otp.admin import OTPAdminSite

from casebook.roles import Role, role_of
from casebook.web.refusals import refusal_recorded


class CasebookAdminSite(OTPAdminSite):  # type: ignore[misc]  # django-otp has no types
    site_header = gettext_lazy("Casebook administration")
    site_title = gettext_lazy("Casebook administration")
    index_title = gettext_lazy("Accounts, teams and second factors")

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and role_of(request.user) == Role.ADMINISTRATOR

    def admin_view(self, view: Callable[..., Any], cacheable: bool = False) -> Callable[..., Any]:
        """Every refusal of an admin page is recorded (bounded like other refusals)."""
        guarded = super().admin_view(view, cacheable)

        @wraps(guarded)
        def recorded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not self.has_permission(request):
                refusal_recorded(request, "admin")
            return guarded(request, *args, **kwargs)

        return recorded
