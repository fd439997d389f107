"""Casebook's tables: cases and their keys, the access log, snapshots and releases,
coalition tables, jobs, invitations, and what accounts choose for themselves."""

from casebook.models.access_log import (
    AccessCheckpoint,
    AccessEvent,
    AccessSeal,
    RefusalWindow,
    VerificationRun,
)
from casebook.models.accounts import AuthenticatorDevice, BackupCodeList, LanguagePreference
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
from casebook.models.coalition import CoalitionCharge, CoalitionTable
from casebook.models.drafts import CaseDraft
from casebook.models.invitations import Invitation, MembershipRequest
from casebook.models.jobs import JobRun
from casebook.models.releases import DashboardPanel, PrivacyCharge, Release
from casebook.models.snapshots import (
    Snapshot,
    SnapshotCase,
    SnapshotPerpetrator,
    SnapshotSubPattern,
)

__all__ = [
    "AccessCheckpoint",
    "AccessEvent",
    "AccessSeal",
    "AuthenticatorDevice",
    "BackupCodeList",
    "CaseDraft",
    "CaseGroupGrant",
    "CaseKey",
    "CasePattern",
    "CasePerpetrator",
    "CaseSubPattern",
    "CaseTestimony",
    "CaseUserGrant",
    "CoalitionCharge",
    "CoalitionTable",
    "DashboardPanel",
    "Invitation",
    "JobRun",
    "KeyCheck",
    "LanguagePreference",
    "MembershipRequest",
    "PrivacyCharge",
    "RefusalWindow",
    "Release",
    "Snapshot",
    "SnapshotCase",
    "SnapshotPerpetrator",
    "SnapshotSubPattern",
    "Team",
    "VerificationRun",
]
