"""What a person chooses for themselves: today, the interface language."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User

from casebook.models import LanguagePreference

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def language_of(user: User | AnonymousUser) -> str | None:
    """The language this person chose, or None (their browser's then decides)."""
    if not user.is_authenticated:
        return None
    return LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first()


def language_choose(*, user: User, language: str) -> None:
    """Remember `language` for `user` (one of settings.LANGUAGES; ValueError otherwise)."""
    if language not in LANGUAGES:
        raise ValueError(f"Unknown language {language!r}.")
    LanguagePreference.objects.update_or_create(user=user, defaults={"language": language})
