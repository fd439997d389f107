"""The admin site: accounts, teams and lockouts, for administrators with a verified
second factor only. No case, testimony, key, log or ledger model is registered here."""

from django.contrib import admin
from django_otp.admin import OTPAdminSite

from casebook.models import Team
from casebook.roles import Role, role_of


class CasebookAdminSite(OTPAdminSite):
    site_header = "Casebook administration"
    site_title = "Casebook administration"

    def has_permission(self, request):
        return super().has_permission(request) and role_of(request.user) == Role.ADMINISTRATOR


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["supervisors"]
