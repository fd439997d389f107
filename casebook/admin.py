"""Admin registrations: accounts (Django's), lockouts (axes), devices (django-otp) and
teams. No case, testimony, key, log or ledger model is registered here."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["supervisors"]


class DeviceAdmin(admin.ModelAdmin):
    """Administrators may see and delete a user's second-factor devices (to let someone
    who lost theirs enrol again), never read or set their secrets."""

    list_display = ["user", "name", "confirmed"]
    fields = ["user", "name", "confirmed"]
    readonly_fields = ["user", "name", "confirmed"]

    def has_add_permission(self, request):
        return False


# django-otp's own device admins show the TOTP key and answer a missing device with an
# error page; these replace them.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)
    admin.site.register(device_model, DeviceAdmin)
