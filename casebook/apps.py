"""Casebook's application, and Django's admin on Casebook's own site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CasebookConfig(AppConfig):
    default = True
    name = "casebook"
    verbose_name = _("Casebook")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks and the sign-in receivers.
        from casebook import checks  # noqa: F401
        from casebook.accounts import signals  # noqa: F401


class CasebookAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, on Casebook's site: administrators with a second factor."""

    default = False  # named in INSTALLED_APPS; Casebook's own config is this module's default
    default_site = "casebook.web.admin_site.CasebookAdminSite"
