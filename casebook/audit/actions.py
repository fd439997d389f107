"""The access log's vocabulary: actions, registered once by name, outcomes and actors.

Every action is a named constant ("case.view", "export.create") registered here;
registering a name twice, or recording an unregistered one, is an error.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User

from casebook.roles import role_of


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    ERROR = "error"  # the action failed on Casebook's side (e.g. a case that would not decrypt)


class ActionAlreadyRegistered(ValueError):
    """An action name was registered twice: each name is defined once."""


class UnregisteredAction(ValueError):
    """An event named an action that was never registered."""


_REGISTRY: dict[str, str] = {}


def register(name: str, description: str) -> str:
    """Register an action name once; registering the same name twice is an error."""
    if name in _REGISTRY:
        raise ActionAlreadyRegistered(f"Access-log action {name!r} is already registered.")
    _REGISTRY[name] = description
    return name


def registered_actions() -> dict[str, str]:
    return dict(_REGISTRY)


def ensure_registered(action: str) -> None:
    if action not in _REGISTRY:
        raise UnregisteredAction(f"Unregistered access-log action {action!r}.")


class Action:
    CASE_VIEW = register("case.view", "Read a case's testimony")
    CASE_CREATE = register("case.create", "Recorded a case")
    CASE_UPDATE = register("case.update", "Changed a case (field names only)")
    CASE_DELETE = register("case.delete", "Deleted a case and destroyed its data key")
    CASE_SHARE = register("case.share", "Shared a case")
    CASE_UNSHARE = register("case.unshare", "Revoked access to a case")
    CASE_BREAK_GLASS = register("case.break_glass", "Opened a case not shared, with a reason")
    CASE_ACCESS = register("case.access", "Reached a case page (denials)")
    CASE_DECRYPT_FAILED = register(
        "case.decrypt_failed", "A case's testimony would not decrypt (tampering or a wrong key)"
    )
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
    ACCOUNT_INVITE = register("account.invite", "Made an invitation link for an account")
    ACCOUNT_REINVITE = register(
        "account.reinvite", "Re-invited a person: their password and second factors removed"
    )
    ACCOUNT_INVITE_ACCEPT = register(
        "account.invite_accept", "Accepted an invitation: set own password and second factor"
    )
    ACCOUNT_INVITE_REFUSED = register(
        "account.invite_refused", "Refused an invitation link (used, expired or unknown)"
    )
    ACCOUNT_UNLOCK = register("account.unlock", "Unlocked an account locked after failures")
    ACCOUNT_DEACTIVATE = register("account.deactivate", "Deactivated an account")
    TEAM_JOIN_REQUEST = register("team.join_request", "Asked for a caseworker to join a team")
    TEAM_JOIN_APPROVE = register("team.join_approve", "Approved a caseworker joining a team")
    TEAM_JOIN_DECLINE = register("team.join_decline", "Declined a caseworker joining a team")
    KEYS_ROTATE = register("keys.rotate", "Re-wrapped data keys under a new key version")
    LOG_VIEW = register("log.view", "Viewed the access log")
    LOG_EXPORT = register("log.export", "Downloaded the access log as CSV")
    LOG_VERIFY = register("log.verify", "Verified the access log's chain")
    LOG_VERIFY_REQUEST = register("log.verify_request", "Asked for the chain to be verified")
    LOG_CHECKPOINT = register("log.checkpoint", "Signed a checkpoint of the log's head")
    LOG_REFUSALS_FOLDED = register(
        "log.refusals_folded", "Repeated refusals counted, reported when their windows closed"
    )
    LOG_CHECKPOINT_SENT = register(
        "log.checkpoint_sent", "Sent a checkpoint off the host (or failed to: outcome error)"
    )
    DRAFT_SAVE = register("draft.save", "Saved a draft of a case (encrypted)")
    DRAFT_OPEN = register("draft.open", "Opened a draft of a case")
    DRAFT_DESTROY = register("draft.destroy", "Destroyed a draft and its data key")
    JOB_RUN = register("job.run", "Ran a timed job")
    JOB_FAILED = register("job.failed", "A timed job failed (nothing it did was kept)")
    COALITION_BUNDLE = register(
        "coalition.bundle", "Made a coalition bundle of noisy tables, or reused one (denials)"
    )
    COALITION_DOWNLOAD = register(
        "coalition.download", "Downloaded a coalition bundle, sealed to the combiner"
    )
    COALITION_COMBINE = register(
        "coalition.combine", "Combined the coalition's bundles, or refused them"
    )


# What auditors see flagged beside break-glass: changes to who may sign in, and how.
FLAGGED_ACTIONS = frozenset(
    {
        Action.CASE_BREAK_GLASS,
        Action.CASE_DECRYPT_FAILED,
        Action.ACCOUNT_CREATE,
        Action.ACCOUNT_INVITE,
        Action.ACCOUNT_REINVITE,
        Action.ACCOUNT_INVITE_ACCEPT,
        Action.TEAM_JOIN_APPROVE,
        Action.ACCOUNT_UNLOCK,
        Action.ACCOUNT_DEACTIVATE,
        Action.AUTH_MFA_RESET,
    }
)


@dataclass(frozen=True)
class Actor:
    """Who acted: an account, an anonymous visitor, or the system (a command)."""

    id: int | None
    username: str
    role: str

    @classmethod
    def of(cls, user: User | AnonymousUser | None) -> "Actor":
        if user is None or not user.is_authenticated:
            return cls(None, "", "anonymous")
        role = role_of(user)
        return cls(user.pk, user.get_username(), role.value if role else "none")

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls(None, f"system:{name}", "system")
