"""Django's admin app, on Casebook's site (casebook.admin.CasebookAdminSite)."""

from django.contrib.admin.apps import AdminConfig


class CasebookAdminConfig(AdminConfig):
    """The admin for administrators with a verified second factor only."""

    default_site = "casebook.admin.CasebookAdminSite"
