"""System checks: Casebook does not start without its key-encryption key."""

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from casebook.crypto import envelope


@register()
def kek_configured(app_configs: object, **kwargs: Any) -> list[CheckMessage]:
    try:
        envelope.load_keyring()
    except envelope.CryptoError as error:
        return [Error(str(error), id="casebook.E001")]
    return []


@register(Tags.database)
def kek_matches_database(
    app_configs: object, databases: object = None, **kwargs: Any
) -> list[CheckMessage]:
    """Run by `check --database default` and by migrate: a wrong key stops start-up."""
    if not databases:
        return []
    from django.db.utils import DatabaseError

    from casebook.crypto import keys

    try:
        keys.keyring()
    except envelope.CryptoError as error:
        return [Error(str(error), id="casebook.E002")]
    except DatabaseError:
        return []  # not migrated yet: migrate runs this check again afterwards
    return []


@register()
def disclosure_policy_valid(app_configs: object, **kwargs: Any) -> list[CheckMessage]:
    """A display threshold under 5 (or other unsafe disclosure setting) stops start-up."""
    from casebook.aggregates import disclosure

    try:
        disclosure.policy()
    except (ValueError, KeyError, TypeError) as error:
        return [Error(f"CASEBOOK_DISCLOSURE: {error}", id="casebook.E003")]
    return []
