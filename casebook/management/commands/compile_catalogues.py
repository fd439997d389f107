"""Compile the translation catalogues (locale/*/LC_MESSAGES/django.po) into .mo files.

Uses polib, so no system gettext is needed to set Casebook up; `make` and the Docker
build run it. (Extracting messages, `makemessages`, does need GNU gettext.)
"""

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from casebook.management.operator import OperatorCommand


class Command(OperatorCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo files (no system gettext needed)."

    requires_system_checks: list[str] = []  # runs at set-up, before any key exists

    def handle(self, *args: Any, **options: Any) -> None:
        catalogues = sorted(
            path for root in settings.LOCALE_PATHS for path in Path(root).glob("*/LC_MESSAGES/*.po")
        )
        if not catalogues:
            raise CommandError(_("No translation catalogue found."))
        for po_path in catalogues:
            catalogue = polib.pofile(str(po_path))
            catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
            self.stdout.write(
                _("Compiled %(path)s (%(count)s messages).")
                % {"path": po_path, "count": len(catalogue.translated_entries())}
            )
