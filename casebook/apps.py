from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasebookConfig(AppConfig):
    name = "casebook"
    verbose_name = _("Casebook")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casebook import checks, signals  # noqa: F401 -- registers checks and receivers
