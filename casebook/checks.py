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


@register()
def coalition_policy_valid(app_configs: object, **kwargs: Any) -> list[CheckMessage]:
    """An unusable coalition setting (CASEBOOK_COALITION_*: epsilon not above 0 or above
    the cap, a budget out of range or finer than the ledger, not a number) stops
    start-up, as the disclosure policy does; the page refuses bundles on it too."""
    from django.conf import settings

    from casebook.coalition import membership

    try:
        membership.checked_policy(settings.CASEBOOK_COALITION)
    except membership.SETTING_ERRORS as error:
        problem = str(error) or type(error).__name__
        return [Error(f"CASEBOOK_COALITION: {problem}", id="casebook.E004")]
    return []
