"""The coalition's members file: who the members are, and the keys that prove it.

One JSON file, the same at every member and at the combiner, exchanged out of band
(docs/coalition.md):

    {
      "format": "casebook-coalition-members/1",
      "coalition": "<the coalition's name>",
      "combiner": {"name": "<who combines>", "public_key": "<X25519, base64>"},
      "members": [{"name": "<organisation>", "signing_key": "<Ed25519, base64>"}, ...],
      "publication": {"threshold": 10, "rounding_base": 5}
    }

`publication` is optional: without it the combiner's own installation's threshold and
rounding apply. A threshold under the floor of casebook.aggregates.disclosure is
refused. Names and keys are distinct. Nothing here is secret: only public keys.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from casebook.aggregates.disclosure import MIN_THRESHOLD
from casebook.crypto.coalition import is_public_key

MEMBERS_FORMAT = "casebook-coalition-members/1"
MAX_NAME = 120


class MembersFileInvalid(Exception):
    """The members file cannot be used; the message says why (never a key)."""


@dataclass(frozen=True)
class Member:
    name: str
    signing_key: str  # Ed25519 public key, base64


@dataclass(frozen=True)
class Coalition:
    name: str
    combiner_name: str
    combiner_key: str  # X25519 public key, base64
    members: tuple[Member, ...]
    threshold: int | None = None
    rounding_base: int | None = None

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise MembersFileInvalid(
            _(
                "Every name in the members file (the coalition, the combiner, each member) "
                "has 1 to %(max)d characters."
            )
            % {"max": MAX_NAME}
        )
    return value.strip()


def _publication(raw: Any) -> tuple[int | None, int | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict) or set(raw) - {"threshold", "rounding_base"}:
        raise MembersFileInvalid(_("'publication' takes only 'threshold' and 'rounding_base'."))
    threshold, base = raw.get("threshold"), raw.get("rounding_base")
    for value in (threshold, base):
        if value is not None and (type(value) is not int or value < 1):
            raise MembersFileInvalid(_("The threshold and rounding base are whole numbers."))
    if threshold is not None and threshold < MIN_THRESHOLD:
        raise MembersFileInvalid(
            _("The threshold may not be below %(floor)d.") % {"floor": MIN_THRESHOLD}
        )
    return threshold, base


def parse_members(text: str) -> Coalition:
    """The coalition described by a members file's text, or MembersFileInvalid."""
    try:
        raw = json.loads(text)
    except ValueError:
        raise MembersFileInvalid(_("The members file is not JSON.")) from None
    if not isinstance(raw, dict) or raw.get("format") != MEMBERS_FORMAT:
        raise MembersFileInvalid(
            _("The members file does not say 'format': '%(format)s'.") % {"format": MEMBERS_FORMAT}
        )
    combiner = raw.get("combiner")
    if not isinstance(combiner, dict) or not is_public_key(combiner.get("public_key")):
        raise MembersFileInvalid(_("The combiner needs a public key (base64 of 32 bytes)."))
    listed = raw.get("members")
    if not isinstance(listed, list) or not listed:
        raise MembersFileInvalid(_("The members file lists no members."))
    members = []
    for entry in listed:
        if not isinstance(entry, dict):
            raise MembersFileInvalid(_("Each member is an object with a name and a signing key."))
        name = _name(entry.get("name"))
        if not is_public_key(entry.get("signing_key")):
            raise MembersFileInvalid(
                _("Member '%(name)s' needs a signing key (base64 of 32 bytes).") % {"name": name}
            )
        members.append(Member(name, entry["signing_key"].strip()))
    if len({m.name for m in members}) != len(members):
        raise MembersFileInvalid(_("Two members have the same name."))
    if len({m.signing_key for m in members}) != len(members):
        raise MembersFileInvalid(_("Two members have the same signing key."))
    threshold, base = _publication(raw.get("publication"))
    return Coalition(
        name=_name(raw.get("coalition")),
        combiner_name=_name(combiner.get("name")),
        combiner_key=combiner["public_key"].strip(),
        members=tuple(members),
        threshold=threshold,
        rounding_base=base,
    )


def load_members(path: str | Path) -> Coalition:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise MembersFileInvalid(
            _("The members file %(path)s cannot be read.") % {"path": path}
        ) from None
    return parse_members(text)


def configured_members() -> Coalition:
    """The coalition of this installation (CASEBOOK_COALITION_MEMBERS_FILE)."""
    path = settings.CASEBOOK_COALITION_MEMBERS_FILE
    if not path:
        raise MembersFileInvalid(_("No coalition members file is configured on this installation."))
    return load_members(path)
