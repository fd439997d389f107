"""How each signed-in request finds its account again: Django's ModelBackend, except
that on PostgreSQL the account and its groups (its role, its teams) are read in one
prepared statement (casebook.db.prepared), where Django reads the account, then its
groups, composing and planning both anew on every request; and with them, when the
second-factor middleware wants it, the device the session was verified with
(casebook.accounts.devices.read_with_account)."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connection

from casebook.accounts.devices import READS, wanted_device
from casebook.db import INTEGER_ID_MAX, columns_of, prepared
from casebook.roles import remember_groups

_FIELDS, _COLUMNS = columns_of(User, "u")
_GROUPS = """
    SELECT {column} FROM auth_user_groups AS member
      JOIN auth_group AS g ON g.id = member.group_id
     WHERE member.user_id = u.id ORDER BY g.id"""
_ACCOUNT = f"""{_COLUMNS},
        ARRAY({_GROUPS.format(column="g.id")}),
        ARRAY({_GROUPS.format(column="g.name")})"""
_ACCOUNT_WIDTH = len(_FIELDS) + 2
STATEMENT = f"""
    SELECT {_ACCOUNT}
      FROM auth_user AS u WHERE u.id = %s"""  # noqa: S608 -- constants only
# With the device the session was verified with: the row of that id if it is this
# account's, else NULLs (django-otp refuses another's device anyway).
WITH_DEVICE = {
    label: f"""
    SELECT {_ACCOUNT}, {columns_of(how.model, "d")[1]}
      FROM auth_user AS u
      LEFT JOIN {how.model._meta.db_table} AS d ON d.id = %s AND d.user_id = u.id
     WHERE u.id = %s"""  # noqa: S608 -- constants only
    for label, how in READS.items()
}


class AccountBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        if connection.vendor != "postgresql":
            return super().get_user(user_id)
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        if not 0 < pk <= INTEGER_ID_MAX:
            return None
        device = wanted_device()
        if device is None:
            found = prepared(STATEMENT, [pk])
        else:
            found = prepared(WITH_DEVICE[device.label], [device.pk, pk])
        if not found:
            return None
        *columns, group_ids, group_names = found[0][:_ACCOUNT_WIDTH]
        if device is not None:
            device.take(found[0][_ACCOUNT_WIDTH:])
        user = User.from_db(DEFAULT_DB_ALIAS, _FIELDS, columns)
        remember_groups(user, list(zip(group_ids, group_names, strict=True)))
        return user if self.user_can_authenticate(user) else None
