"""Operators' commands speak the operator's language: Korean when the shell's locale is
Korean (LANG=ko_KR.UTF-8), English otherwise."""

import os
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation


def operator_language(environ: dict[str, str] | None = None) -> str:
    """ "ko" or "en", from LC_ALL, LC_MESSAGES or LANG (the first one set)."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


class OperatorCommand(BaseCommand):
    """A management command whose messages follow the operator's locale."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        with translation.override(operator_language()):
            return super().execute(*args, **options)
