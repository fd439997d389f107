"""The case form: a pattern, its testimony and its survivor link, validated against the
taxonomy (its choice lists: casebook.web.forms.choices)."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook import taxonomy
from casebook.accounts.teams import teams_among
from casebook.cases.identifiers import find_identifiers
from casebook.cases.records import CaseRecord, Pattern, SurvivorLink, Testimony
from casebook.models import CasePattern, Team
from casebook.web.forms.choices import SEPARATE, Linkable, SurvivorChoices, YearChoices, coded
from casebook.web.forms.rendering import (
    FixedMultipleChoiceField,
    FixedTypedChoiceField,
    KeptFieldGroup,
    OwnSelect,
)

NARRATIVE_MAX = 20_000
NOTES_MAX = 10_000
DETAILS_MAX = 5_000


class CasePatternForm(forms.Form):
    """The coded dimensions of a case. `version` guards against stale edits."""

    bound_field_class = KeptFieldGroup  # most of its fields the same for everyone

    primary_category = coded(_("Primary category"), taxonomy.Category)
    sub_patterns = FixedMultipleChoiceField(
        label=_("Sub-patterns"),
        choices=[
            (
                taxonomy.Category(category).label,
                [(c, taxonomy.SubPattern(c).label) for c in codes],
            )
            for category, codes in taxonomy.SUB_PATTERNS_BY_CATEGORY.items()
        ],
        required=False,
        help_text=_("Any number, from any category."),
    )
    perpetrators = FixedMultipleChoiceField(
        label=_("Perpetrator types"),
        choices=taxonomy.Perpetrator.choices,
        required=False,
    )
    year = FixedTypedChoiceField(
        label=_("Year of the pattern"),
        coerce=int,
        choices=YearChoices("---------"),
        help_text=_("The year only, never a date."),
    )
    province_china = coded(_("Province in China"), taxonomy.ProvinceChina)
    province_origin = coded(_("Province of origin in North Korea"), taxonomy.ProvinceOrigin)
    gender = coded(_("Gender"), taxonomy.Gender)
    age_band = coded(_("Age at the time"), taxonomy.AgeBand)
    time_in_china = coded(_("Time spent in China"), taxonomy.TimeInChina)
    current_status = coded(_("Current status"), taxonomy.CurrentStatus)
    source_proximity = coded(_("Source of the account"), taxonomy.SourceProximity)
    consent_scope = coded(_("Consent scope"), taxonomy.ConsentScope)

    narrative = forms.CharField(
        label=_("Narrative summary"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=NARRATIVE_MAX,
        required=False,
        strip=False,
        help_text=_("Encrypted at rest. Describe the pattern; leave out names and contacts."),
    )
    interviewer_notes = forms.CharField(
        label=_("Interviewer notes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=NOTES_MAX,
        required=False,
        strip=False,
    )
    precise_details = forms.CharField(
        label=_("Precise details"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=DETAILS_MAX,
        required=False,
        strip=False,
        help_text=_("Exact dates or places, only where you need to keep them. Encrypted."),
    )
    confirm_identifiers = forms.BooleanField(
        label=_("I have checked the possible identifiers listed above and they must stay."),
        required=False,
    )

    # Findings confirmed on this case before, read from its encrypted testimony (a
    # recorded read) only when the text has findings: not asked about again while they
    # stay in the text.
    confirmed_loader: Callable[[], frozenset[str]] | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        found = [
            replace(finding, field_label=str(self.fields[finding.field].label))
            for finding in find_identifiers(
                {name: cleaned.get(name, "") for name in Testimony.FIELDS}
            )
        ]
        confirmed = self.confirmed_loader() if found and self.confirmed_loader else frozenset()
        self.identifier_findings = [f for f in found if f.key not in confirmed]
        still_confirmed = {f.key for f in found if f.key in confirmed}
        if cleaned.get("confirm_identifiers"):
            still_confirmed |= {f.key for f in self.identifier_findings}
        self.confirmed_now = frozenset(still_confirmed)
        if self.identifier_findings and not cleaned.get("confirm_identifiers"):
            raise forms.ValidationError(
                _(
                    "The testimony may contain direct identifiers (listed below). Remove "
                    "them, or confirm that they must stay."
                ),
                code="identifiers",
            )
        return cleaned

    same_survivor_as = forms.ChoiceField(
        label=_("Same survivor as"),
        required=False,
        widget=OwnSelect,
        help_text=_(
            "If this survivor is also in another case you recorded or can open, choose it: "
            "statistics then count only a set number of cases of one person. The link shows "
            "only to people who can open both cases, and auditors see that it was made."
        ),
    )

    def __init__(
        self,
        *args: Any,
        linkable: Linkable | Callable[[], Linkable],
        editing: bool,
        **kwargs: Any,
    ) -> None:
        """`linkable`: the cases the survivor picker offers, or what reads them when the
        picker is first drawn or a case chosen in it is checked (most forms submitted
        choose none, and then they are never read)."""
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["same_survivor_as"])
        field.choices = SurvivorChoices(linkable, editing=editing)

    SECTIONS = (
        (_("What happened"), ("primary_category", "sub_patterns", "perpetrators")),
        (_("Where and when"), ("year", "province_china", "province_origin", "time_in_china")),
        (_("Who"), ("gender", "age_band", "current_status")),
        (_("Source and consent"), ("source_proximity", "consent_scope", "same_survivor_as")),
        (_("Testimony"), ("narrative", "interviewer_notes", "precise_details")),
    )

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The form's fields in the order of an interview, each section titled."""
        return [(str(title), [self[name] for name in names]) for title, names in self.SECTIONS]

    def other_fields(self) -> list[forms.BoundField]:
        """Fields outside the sections (the team, the version), in declaration order."""
        placed = {name for _title, names in self.SECTIONS for name in names}
        return [
            self[name]
            for name in self.fields
            if name not in placed and name != "confirm_identifiers"
        ]

    def survivor_link(self) -> SurvivorLink:
        chosen = self.cleaned_data.get("same_survivor_as") or ""
        if chosen == SEPARATE:
            return SurvivorLink(separate=True)
        return SurvivorLink(reference=chosen)

    def testimony(self) -> Testimony:
        return Testimony(
            **{name: self.cleaned_data[name] for name in Testimony.FIELDS},
            confirmed_identifiers=self.confirmed_now,
        )

    def pattern(self) -> Pattern:
        data = self.cleaned_data
        return Pattern(
            primary_category=data["primary_category"],
            sub_patterns=frozenset(data["sub_patterns"]),
            perpetrators=frozenset(data["perpetrators"]),
            year=data["year"],
            province_china=data["province_china"],
            province_origin=data["province_origin"],
            gender=data["gender"],
            age_band=data["age_band"],
            time_in_china=data["time_in_china"],
            current_status=data["current_status"],
            source_proximity=data["source_proximity"],
            consent_scope=data["consent_scope"],
        )

    @classmethod
    def initial_from(cls, record: CaseRecord) -> dict[str, Any]:
        """Initial values from a CaseRecord (casebook.cases.access)."""
        initial: dict[str, Any] = record.pattern.scalar_fields()
        initial["sub_patterns"] = sorted(record.pattern.sub_patterns)
        initial["perpetrators"] = sorted(record.pattern.perpetrators)
        initial.update(record.testimony.as_fields())
        initial["same_survivor_as"] = next(iter(record.same_survivor_as), "")
        return initial


class CaseCreateForm(CasePatternForm):
    team: "forms.ModelChoiceField[Team]" = forms.ModelChoiceField(
        label=_("Team"), queryset=None, empty_label=None
    )

    # A single-use value per opened form: submitting it twice records one case.
    submission = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, teams: Sequence[Team], **kwargs: Any) -> None:
        """`teams`: the author's (casebook.accounts.teams.teams_of), read once."""
        super().__init__(*args, editing=False, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())
        team_field = cast("forms.ModelChoiceField[Team]", self.fields["team"])
        # Read again only to offer a choice of several, or to check the one chosen.
        team_field.queryset = teams_among(teams)
        self.only_team = teams[0] if len(teams) == 1 else None
        if self.only_team is not None:
            # One team: no choice to make, so the field is neither shown nor required.
            self.fields["team"].required = False
            self.fields["team"].widget = forms.HiddenInput()

    def clean_team(self) -> Team | None:
        return self.cleaned_data.get("team") or self.only_team


class CaseEditForm(CasePatternForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(
        self,
        *args: Any,
        confirmed_loader: Callable[[], frozenset[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, editing=True, **kwargs)
        self.confirmed_loader = confirmed_loader


class CaseDeleteForm(forms.Form):
    reference = forms.CharField(
        label=_("Type the case reference to confirm"), max_length=20, strip=True
    )

    def __init__(self, *args: Any, case: CasePattern, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_reference(self) -> str:
        if self.cleaned_data["reference"] != self.case.reference:
            raise forms.ValidationError(_("That is not this case's reference."))
        return str(self.cleaned_data["reference"])
