"""Each signed-in request's second-factor device (the one its session was verified
with), read on PostgreSQL in one prepared statement (casebook.db.prepared) where
django-otp composes and plans an ORM query anew on every request: with the account
itself (casebook.accounts.backend) when the account is read while the session's device
is wanted (read_with_account), on its own otherwise. Other device types, and SQLite,
go through django-otp's own lookup."""

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.db import INTEGER_ID_MAX, columns_of, prepared

DEVICE_MODELS: tuple[type[Device], ...] = (TOTPDevice, StaticDevice)


@dataclass(frozen=True)
class DeviceRead:
    model: type[Device]
    fields: list[str]
    statement: str  # the device alone, by id


def _read(model: type[Device]) -> DeviceRead:
    fields, columns = columns_of(model)
    statement = f"SELECT {columns} FROM {model._meta.db_table} WHERE id = %s"  # noqa: S608 -- constants only
    return DeviceRead(model, fields, statement)


READS = {model.model_label(): _read(model) for model in DEVICE_MODELS}


@dataclass
class WantedDevice:
    """The device a session names, to be read with its account: `found` once read."""

    persistent_id: str
    label: str
    pk: int
    read: bool = False
    found: Device | None = None

    def take(self, columns: Sequence[object]) -> None:
        """The device's columns as the account's statement returned them (all NULL when
        no such device is this account's)."""
        how = READS[self.label]
        if columns[0] is not None:
            self.found = how.model.from_db(DEFAULT_DB_ALIAS, how.fields, columns)
        self.read = True


_wanted: contextvars.ContextVar[WantedDevice | None] = contextvars.ContextVar(
    "casebook_wanted_device", default=None
)


def _named(persistent_id: str) -> tuple[str, int] | None:
    """The model label and id `persistent_id` ("otp_totp.totpdevice/12") names, when it
    is a device this module reads and an id a row can have; else None."""
    label, _, number = persistent_id.rpartition("/")
    if label not in READS or not number.isascii() or not number.isdigit():
        return None
    pk = int(number)
    return (label, pk) if 0 < pk <= INTEGER_ID_MAX else None


@contextmanager
def read_with_account(persistent_id: str | None) -> Iterator[None]:
    """While the block works the account out, the device `persistent_id` names is read
    in the account's own statement (PostgreSQL), for device_of_session to return."""
    named = _named(persistent_id) if persistent_id and connection.vendor == "postgresql" else None
    token = _wanted.set(WantedDevice(persistent_id, *named) if named and persistent_id else None)
    try:
        yield
    finally:
        _wanted.reset(token)


def wanted_device() -> WantedDevice | None:
    """The device to read with the account now being read, if one is wanted."""
    wanted = _wanted.get()
    return wanted if wanted is not None and not wanted.read else None


def device_of_session(persistent_id: str) -> Device | None:
    """The device `persistent_id` ("otp_totp.totpdevice/12") names, or None. Read with
    the account, a device that is not the account's is None here as well (django-otp
    refuses such a device anyway)."""
    wanted = _wanted.get()
    if wanted is not None and wanted.read and wanted.persistent_id == persistent_id:
        return wanted.found
    if persistent_id.rpartition("/")[0] not in READS or connection.vendor != "postgresql":
        return Device.from_persistent_id(persistent_id)
    named = _named(persistent_id)
    if named is None:
        return None
    how = READS[named[0]]
    found = prepared(how.statement, [named[1]])
    return how.model.from_db(DEFAULT_DB_ALIAS, how.fields, found[0]) if found else None
