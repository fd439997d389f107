"""Casebook's tables: cases and their keys, the access log, and aggregate releases."""

from casebook.models.access_log import AccessCheckpoint, AccessEvent
from casebook.models.cases import (
    CaseGroupGrant,
    CaseKey,
    CasePattern,
    CasePerpetrator,
    CaseSubPattern,
    CaseTestimony,
    CaseUserGrant,
    KeyCheck,
    Team,
)
from casebook.models.releases import DatasetVersion, PrivacyCharge, Release

__all__ = [
    "AccessCheckpoint",
    "AccessEvent",
    "CaseGroupGrant",
    "CaseKey",
    "CasePattern",
    "CasePerpetrator",
    "CaseSubPattern",
    "CaseTestimony",
    "CaseUserGrant",
    "DatasetVersion",
    "KeyCheck",
    "PrivacyCharge",
    "Release",
    "Team",
]
