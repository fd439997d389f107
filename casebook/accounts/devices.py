"""Each signed-in request's second-factor device (the one its session was verified
with), read on PostgreSQL in one prepared statement (casebook.db.prepared) where
django-otp composes and plans an ORM query anew on every request. Other device types,
and SQLite, go through django-otp's own lookup."""

from django.db import DEFAULT_DB_ALIAS, connection
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.db import INTEGER_ID_MAX, columns_of, prepared


def _read(model: type[Device]) -> tuple[type[Device], list[str], str]:
    fields, columns = columns_of(model)
    statement = f"SELECT {columns} FROM {model._meta.db_table} WHERE id = %s"  # noqa: S608 -- constants only
    return model, fields, statement


READS = {model.model_label(): _read(model) for model in (TOTPDevice, StaticDevice)}


def device_of_session(persistent_id: str) -> Device | None:
    """The device `persistent_id` ("otp_totp.totpdevice/12") names, or None."""
    label, _, number = persistent_id.rpartition("/")
    if label not in READS or connection.vendor != "postgresql":
        return Device.from_persistent_id(persistent_id)
    model, fields, statement = READS[label]
    try:
        pk = int(number)
    except ValueError:
        return None
    found = prepared(statement, [pk]) if 0 < pk <= INTEGER_ID_MAX else []
    return model.from_db(DEFAULT_DB_ALIAS, fields, found[0]) if found else None
