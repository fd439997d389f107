"""Django's admin, on Casebook's site: administrators with a verified second factor.

The site class lives here, apart from casebook/admin.py's registrations, so that
creating the default site never re-imports a half-loaded module. Named by
casebook.apps.CasebookAdminConfig.
"""

from django.http import HttpRequest
from django_otp.admin import OTPAdminSite

from casebook.roles import Role, role_of


class CasebookAdminSite(OTPAdminSite):  # type: ignore[misc]  # django-otp has no types
    site_header = "Casebook administration"
    site_title = "Casebook administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and role_of(request.user) == Role.ADMINISTRATOR
