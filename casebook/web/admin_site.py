"""Django's admin, on Casebook's site: administrators with a verified second factor.

The site class lives here, apart from casebook/admin.py's registrations, so that
creating the default site never re-imports a half-loaded module. Named by
casebook.apps.CasebookAdminConfig.
"""

from django_otp.admin import OTPAdminSite

from casebook.roles import Role, role_of


class CasebookAdminSite(OTPAdminSite):
    site_header = "Casebook administration"
    site_title = "Casebook administration"

    def has_permission(self, request):
        return super().has_permission(request) and role_of(request.user) == Role.ADMINISTRATOR
