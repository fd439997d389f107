"""Drafts of cases: what a caseworker typed and saved before the case was recorded.

A draft is testimony: it is stored only encrypted, under a data key of its own wrapped
by the key-encryption key (on the same row, so deleting the row destroys the key), and
never in CasePattern, so no list, count, snapshot or export can include it. Only its
author ever opens it.
"""

import uuid

from django.conf import settings
from django.db import models


class CaseDraft(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_drafts"
    )
    # The case an edit draft belongs to; deleting the case destroys its drafts.
    case = models.ForeignKey(
        "casebook.CasePattern", on_delete=models.CASCADE, null=True, related_name="drafts"
    )
    kek_version = models.PositiveIntegerField()
    wrapped = models.BinaryField()  # the draft's own data key, wrapped
    sealed = models.BinaryField()  # the form as JSON, AES-GCM under that key
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # Set on a form kept when its submit came after the idle limit: destroyed then.
    expires_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["author", "-updated_at"], name="draft_by_author")]

    def __str__(self) -> str:
        return f"draft {self.pk} (encrypted)"
