"""The access log: named actions, registered once, and appends to a hash chain.

Every event carries the SHA-256 of its canonical encoding and of the previous event's
hash. Appends are serialised (a transaction-scoped advisory lock on PostgreSQL), so
the chain stays linear and the sequence gapless. An append runs in the caller's
transaction: if the action rolls back, so does its event, and if the event cannot be
written, the action fails ("no log, no access").

The log never holds testimony or true aggregate counts: `details` takes only the
keys in ALLOWED_DETAILS, with short values.
"""

import contextvars
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, transaction
from django.utils import timezone

from casebook.models import AccessEvent

GENESIS_HASH = "0" * 64
LOCK_KEY = 0x43415345424F4F4B  # "CASEBOOK": the advisory lock that serialises appends
MAX_REASON = 2000
ALLOWED_DETAILS = {
    "changed",
    "holder",
    "dimensions",
    "epsilon",
    "filters",
    "rows",
    "result",
    "rotated",
    "key_version",
    "checkpoint",
    "path",
    "method",
}

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


_REGISTRY: dict[str, str] = {}


def register(name: str, description: str) -> str:
    """Register an action name once; registering the same name twice is an error."""
    if name in _REGISTRY:
        raise ValueError(f"Access-log action {name!r} is already registered.")
    _REGISTRY[name] = description
    return name


def registered_actions() -> dict[str, str]:
    return dict(_REGISTRY)


class Action:
    CASE_VIEW = register("case.view", "Read a case's testimony")
    CASE_CREATE = register("case.create", "Recorded a case")
    CASE_UPDATE = register("case.update", "Changed a case (field names only)")
    CASE_DELETE = register("case.delete", "Deleted a case and destroyed its data key")
    CASE_SHARE = register("case.share", "Shared a case")
    CASE_UNSHARE = register("case.unshare", "Revoked access to a case")
    CASE_BREAK_GLASS = register("case.break_glass", "Opened a case not shared, with a reason")
    CASE_ACCESS = register("case.access", "Reached a case page (denials)")
    PAGE_DENIED = register("page.denied", "Refused a page to this role")
    EXPORT_CREATE = register("export.create", "Released an aggregate table")
    AUTH_LOGIN = register("auth.login", "Signed in")
    AUTH_LOGIN_FAILED = register("auth.login_failed", "Failed to sign in")
    AUTH_LOGOUT = register("auth.logout", "Signed out")
    AUTH_LOCKOUT = register("auth.lockout", "Locked out after repeated failures")
    AUTH_MFA = register("auth.mfa", "Verified the second factor")
    AUTH_MFA_FAILED = register("auth.mfa_failed", "Gave a wrong second-factor code")
    AUTH_MFA_ENROL = register("auth.mfa_enrol", "Set up a second factor")
    AUTH_MFA_RESET = register("auth.mfa_reset", "Deleted a user's second-factor device")
    AUTH_PASSWORD_CHANGE = register("auth.password_change", "Changed the password")
    ACCOUNT_CREATE = register("account.create", "Created an account")
    KEYS_ROTATE = register("keys.rotate", "Re-wrapped data keys under a new key version")
    LOG_VIEW = register("log.view", "Viewed the access log")
    LOG_EXPORT = register("log.export", "Downloaded the access log as CSV")
    LOG_VERIFY = register("log.verify", "Verified the access log's chain")
    LOG_CHECKPOINT = register("log.checkpoint", "Signed a checkpoint of the log's head")


@dataclass(frozen=True)
class Actor:
    """Who acted: an account, an anonymous visitor, or the system (a command)."""

    id: int | None
    username: str
    role: str

    @classmethod
    def of(cls, user: User | AnonymousUser | None) -> "Actor":
        from casebook.roles import role_of

        if user is None or not user.is_authenticated:
            return cls(None, "", "anonymous")
        role = role_of(user)
        return cls(user.pk, user.get_username(), role.value if role else "none")

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls(None, f"system:{name}", "system")


def canonical(event: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: sorted-key compact JSON, UTF-8."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical({**fields, "prev_hash": prev_hash})).hexdigest()


# Every stored column of an event, in order: for verification reads and CSV downloads.
EVENT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_username",
    "role",
    "action",
    "target",
    "outcome",
    "reason",
    "request_id",
    "details",
    "prev_hash",
    "hash",
)


def hashed_fields(event: Any) -> dict[str, Any]:
    """The fields of a stored event that its hash covers (everything but the hashes)."""
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "role": event.role,
        "action": event.action,
        "target": event.target,
        "outcome": event.outcome,
        "reason": event.reason,
        "request_id": event.request_id,
        "details": event.details,
    }


def _storable(value: Any) -> Any:
    """Text as the database can store it: NUL characters (which PostgreSQL refuses in
    text and JSON) removed, in strings and in lists of strings."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


def _lock_the_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def record(
    action: str,
    *,
    actor: Actor,
    outcome: Outcome = Outcome.ALLOWED,
    target: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AccessEvent:
    """Append one event to the chain, inside the caller's transaction (or its own)."""
    if action not in _REGISTRY:
        raise ValueError(f"Unregistered access-log action {action!r}.")
    details = {key: _storable(value) for key, value in (details or {}).items()}
    if unknown := set(details) - ALLOWED_DETAILS:
        raise ValueError(f"Access-log details may not carry {sorted(unknown)}.")
    with transaction.atomic():
        _lock_the_chain()
        head = AccessEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        event = AccessEvent(
            seq=seq,
            occurred_at=timezone.now(),
            actor_id=actor.id,
            actor_username=_storable(actor.username)[:150],
            role=actor.role,
            action=action,
            target=_storable(target)[:64],
            outcome=outcome.value,
            reason=_storable(reason)[:MAX_REASON],
            request_id=request_id_var.get()[:64],
            details=details,
            prev_hash=prev_hash,
        )
        event.hash = event_hash(hashed_fields(event), prev_hash)
        event.save(force_insert=True)
    return event
