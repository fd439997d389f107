"""How each signed-in request finds its account again: Django's ModelBackend, except
that on PostgreSQL the account and its groups (its role, its teams) are read in one
prepared statement (casebook.db.prepared), where Django reads the account, then its
groups, composing and planning both anew on every request."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connection

from casebook.db import INTEGER_ID_MAX, columns_of, prepared
from casebook.roles import remember_groups

_FIELDS, _COLUMNS = columns_of(User, "u")
_GROUPS = """
    SELECT {column} FROM auth_user_groups AS member
      JOIN auth_group AS g ON g.id = member.group_id
     WHERE member.user_id = u.id ORDER BY g.id"""
STATEMENT = f"""
    SELECT {_COLUMNS},
        ARRAY({_GROUPS.format(column="g.id")}),
        ARRAY({_GROUPS.format(column="g.name")})
      FROM auth_user AS u WHERE u.id = %s"""  # noqa: S608 -- constants only


class AccountBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        if connection.vendor != "postgresql":
            return super().get_user(user_id)
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = prepared(STATEMENT, [pk]) if 0 < pk <= INTEGER_ID_MAX else []
        if not found:
            return None
        *columns, group_ids, group_names = found[0]
        user = User.from_db(DEFAULT_DB_ALIAS, _FIELDS, columns)
        remember_groups(user, list(zip(group_ids, group_names, strict=True)))
        return user if self.user_can_authenticate(user) else None
