"""The only code path that returns decrypted testimony.

Each read fetches the case through visible_cases(user), so a case that is missing and
one that is forbidden both raise CaseNotFound; then it decrypts and returns a frozen
record, never the model. (The access log's event is written here, in the same
transaction and before decryption, once the log exists.)
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from casebook import crypto, keys
from casebook.models import CasePattern
from casebook.permissions import Access, visible_cases
from casebook.services import TESTIMONY_TABLE, Testimony


class CaseNotFound(Exception):
    """No such case for this user: missing and forbidden look the same."""


@dataclass(frozen=True)
class CaseRecord:
    """A case as its reader sees it: the coded pattern and the decrypted testimony."""

    case: CasePattern
    sub_patterns: tuple[str, ...]
    perpetrators: tuple[str, ...]
    testimony: Testimony

    def __repr__(self) -> str:
        return f"CaseRecord({self.case.reference}, testimony=<redacted>)"


@sensitive_variables()
def case_read(*, user: User, reference: str, access: Access = Access.VIEW) -> CaseRecord:
    """The case with `reference` and its testimony, if `user` has `access` to it.

    Raises CaseNotFound for missing and forbidden cases alike, and CryptoError when the
    testimony cannot be decrypted (never returns ciphertext as text).
    """
    with transaction.atomic():
        case = (
            visible_cases(user, access)
            .select_related("key", "testimony", "author", "team")
            .prefetch_related("sub_patterns", "perpetrators")
            .filter(reference=reference)
            .first()
        )
        if case is None:
            raise CaseNotFound
        sealed = {name: bytes(getattr(case.testimony, name)) for name in Testimony.FIELDS}
        opened = crypto.open_fields(
            keys.keyring(), keys.wrapped_key(case.key), table=TESTIMONY_TABLE, sealed=sealed
        )
    return CaseRecord(
        case=case,
        sub_patterns=tuple(row.code for row in case.sub_patterns.all()),
        perpetrators=tuple(row.code for row in case.perpetrators.all()),
        testimony=Testimony(**opened),
    )
