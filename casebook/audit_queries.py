"""What auditors read of the access log: filtered, keyset-paginated, and chain status."""

import datetime as dt
from dataclasses import dataclass
from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from casebook import audit
from casebook.models import AccessCheckpoint, AccessEvent

PAGE = 50


class EventFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor (username)"), max_length=150, required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    target = forms.CharField(label=_("Case reference or target"), max_length=64, required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("Any")), ("allowed", _("Allowed")), ("denied", _("Denied"))],
    )
    date_from = forms.DateField(label=_("From (UTC date)"), required=False)
    date_to = forms.DateField(label=_("To (UTC date, inclusive)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        action = cast(forms.ChoiceField, self.fields["action"])
        action.choices = [("", _("Any"))] + [
            (name, name) for name in sorted(audit.registered_actions())
        ]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        for name in ("date_from", "date_to"):
            value = cleaned.get(name)
            if value and not 2000 <= value.year <= 2999:
                self.add_error(name, _("Choose a date between the years 2000 and 2999."))
                cleaned[name] = None
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return cleaned

    def used(self) -> list[str]:
        """The names (never the values) of the filters in use, for the access log."""
        if not self.is_valid():
            return []
        return sorted(name for name, value in self.cleaned_data.items() if value)


def filtered_events(form: EventFilterForm) -> QuerySet:
    events = AccessEvent.objects.all()
    if not form.is_valid():
        return events
    data = form.cleaned_data
    if data["actor"]:
        events = events.filter(actor_username=data["actor"])
    if data["action"]:
        events = events.filter(action=data["action"])
    if data["target"]:
        events = events.filter(target=data["target"])
    if data["outcome"]:
        events = events.filter(outcome=data["outcome"])
    if data["date_from"]:
        start = dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=dt.UTC)
        events = events.filter(occurred_at__gte=start)
    if data["date_to"]:
        end = dt.datetime.combine(
            data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC
        )
        events = events.filter(occurred_at__lt=end)
    return events


@dataclass(frozen=True)
class EventPage:
    events: list
    older: int | None  # pass as ?before= for the next (older) page
    newer: int | None  # pass as ?after= for the previous (newer) page


def event_page(events: QuerySet, *, before: int | None, after: int | None) -> EventPage:
    """One page, newest first, by keyset on seq: constant cost however long the log is."""
    if after is not None:
        rows = list(events.filter(seq__gt=after).order_by("seq")[: PAGE + 1])
        has_newer = len(rows) > PAGE
        rows = list(reversed(rows[:PAGE]))
        has_older = bool(rows) and events.filter(seq__lt=rows[-1].seq).exists()
    else:
        if before is not None:
            events = events.filter(seq__lt=before)
        rows = list(events.order_by("-seq")[: PAGE + 1])
        has_older = len(rows) > PAGE
        rows = rows[:PAGE]
        has_newer = before is not None and bool(rows)
    return EventPage(
        events=rows,
        older=rows[-1].seq if rows and has_older else None,
        newer=rows[0].seq if rows and has_newer else None,
    )


@dataclass(frozen=True)
class ChainStatus:
    last_verification: AccessEvent | None
    last_checkpoint: AccessCheckpoint | None
    head_seq: int


def chain_status() -> ChainStatus:
    return ChainStatus(
        last_verification=AccessEvent.objects.filter(action=audit.Action.LOG_VERIFY)
        .order_by("-seq")
        .first(),
        last_checkpoint=AccessCheckpoint.objects.order_by("-seq").first(),
        head_seq=AccessEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0,
    )
