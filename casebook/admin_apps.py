"""Django's admin app, on Casebook's site (casebook.admin_site.CasebookAdminSite)."""

from django.contrib.admin.apps import AdminConfig


class CasebookAdminConfig(AdminConfig):
    default_site = "casebook.admin_site.CasebookAdminSite"
