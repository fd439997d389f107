"""The controlled vocabulary of Casebook, defined once.

Codes are stable identifiers stored in the database and used in exports: never
rename or reuse one. Labels are translatable. Every dimension is coarse on purpose
(years, provinces and bands only): see DOMAIN.md, "Minimise".
"""

import functools

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    TRAFFICKING = "trafficking", _("Trafficking")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    DETENTION = "detention", _("Detention")
    FORCIBLE_REPATRIATION = "forcible_repatriation", _("Forcible repatriation")


class SubPattern(models.TextChoices):
    # Trafficking
    SOLD_BY_BROKER = "sold_by_broker", _("Sold by a broker")
    RESOLD = "resold", _("Resold")
    FORCED_PROSTITUTION = "forced_prostitution", _("Forced prostitution")
    ONLINE_SEXUAL_EXPLOITATION = (
        "online_sexual_exploitation",
        _("Online sexual exploitation (cybersex studio)"),
    )
    CONFINEMENT_BY_TRAFFICKERS = "confinement_by_traffickers", _("Confinement by traffickers")
    DEBT_BONDAGE = "debt_bondage", _("Debt bondage")
    MINOR_AT_THE_TIME = "minor_at_the_time", _("Victim was a minor at the time")
    # Forced marriage
    SOLD_AS_BRIDE = "sold_as_bride", _("Broker-arranged sale as a bride")
    SPOUSAL_VIOLENCE = "spousal_violence", _("Violence by the spouse")
    ABUSE_BY_SPOUSES_FAMILY = "abuse_by_spouses_family", _("Abuse by the spouse's family")
    FORCED_ABORTION = "forced_abortion", _("Forced or unsafe abortion")
    CHILD_UNREGISTERED = "child_unregistered", _("Child born and left unregistered (stateless)")
    MARRIAGE_NOT_RECOGNISED = (
        "marriage_not_recognised",
        _("Marriage not legally recognised, exposed to deportation"),
    )
    # Detention
    ARREST_BY_PUBLIC_SECURITY = "arrest_by_public_security", _("Arrest by Chinese public security")
    DETENTION_IN_CHINA = "detention_in_china", _("Detention in China")
    LABOUR_EXPLOITATION = "labour_exploitation", _("Labour exploitation of an undocumented worker")
    EXTORTION = "extortion", _("Extortion by officials or brokers")
    INTERROGATION = "interrogation", _("Interrogation")
    # Forcible repatriation
    FORCIBLE_RETURN = "forcible_return", _("Forcible return to North Korea")
    INTERROGATION_AFTER_RETURN = "interrogation_after_return", _("Interrogation after return")
    IMPRISONMENT_AFTER_RETURN = (
        "imprisonment_after_return",
        _("Imprisonment after return (detention centre, labour camp, political prison camp)"),
    )
    TORTURE = "torture", _("Torture or ill-treatment")
    DEATH_IN_CUSTODY = "death_in_custody", _("Death in custody")
    FAMILY_PUNISHED = "family_punished", _("Punishment of family")


SUB_PATTERNS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    Category.TRAFFICKING: (
        SubPattern.SOLD_BY_BROKER,
        SubPattern.RESOLD,
        SubPattern.FORCED_PROSTITUTION,
        SubPattern.ONLINE_SEXUAL_EXPLOITATION,
        SubPattern.CONFINEMENT_BY_TRAFFICKERS,
        SubPattern.DEBT_BONDAGE,
        SubPattern.MINOR_AT_THE_TIME,
    ),
    Category.FORCED_MARRIAGE: (
        SubPattern.SOLD_AS_BRIDE,
        SubPattern.SPOUSAL_VIOLENCE,
        SubPattern.ABUSE_BY_SPOUSES_FAMILY,
        SubPattern.FORCED_ABORTION,
        SubPattern.CHILD_UNREGISTERED,
        SubPattern.MARRIAGE_NOT_RECOGNISED,
    ),
    Category.DETENTION: (
        SubPattern.ARREST_BY_PUBLIC_SECURITY,
        SubPattern.DETENTION_IN_CHINA,
        SubPattern.LABOUR_EXPLOITATION,
        SubPattern.EXTORTION,
        SubPattern.INTERROGATION,
    ),
    Category.FORCIBLE_REPATRIATION: (
        SubPattern.FORCIBLE_RETURN,
        SubPattern.INTERROGATION_AFTER_RETURN,
        SubPattern.IMPRISONMENT_AFTER_RETURN,
        SubPattern.TORTURE,
        SubPattern.DEATH_IN_CUSTODY,
        SubPattern.FAMILY_PUNISHED,
    ),
}


class Perpetrator(models.TextChoices):
    BROKER = "broker", _("Broker")
    SPOUSE = "spouse", _("Spouse")
    SPOUSES_FAMILY = "spouses_family", _("Spouse's family")
    EMPLOYER = "employer", _("Employer")
    CHINESE_PUBLIC_SECURITY = "chinese_public_security", _("Chinese public security")
    NORTH_KOREAN_STATE_SECURITY = "north_korean_state_security", _("North Korean state security")
    BORDER_GUARDS = "border_guards", _("Border guards")
    UNKNOWN = "unknown", _("Unknown")


class ProvinceChina(models.TextChoices):
    JILIN = "jilin", _("Jilin")
    LIAONING = "liaoning", _("Liaoning")
    HEILONGJIANG = "heilongjiang", _("Heilongjiang")
    SHANDONG = "shandong", _("Shandong")
    INNER_MONGOLIA = "inner_mongolia", _("Inner Mongolia")
    BEIJING = "beijing", _("Beijing")
    YUNNAN = "yunnan", _("Yunnan")
    OTHER = "other", _("Other province")
    UNKNOWN = "unknown", _("Unknown")


class ProvinceOrigin(models.TextChoices):
    """Province of origin in North Korea."""

    NORTH_HAMGYONG = "north_hamgyong", _("North Hamgyong")
    SOUTH_HAMGYONG = "south_hamgyong", _("South Hamgyong")
    RYANGGANG = "ryanggang", _("Ryanggang")
    CHAGANG = "chagang", _("Chagang")
    NORTH_PYONGAN = "north_pyongan", _("North Pyongan")
    SOUTH_PYONGAN = "south_pyongan", _("South Pyongan")
    NORTH_HWANGHAE = "north_hwanghae", _("North Hwanghae")
    SOUTH_HWANGHAE = "south_hwanghae", _("South Hwanghae")
    KANGWON = "kangwon", _("Kangwon")
    PYONGYANG = "pyongyang", _("Pyongyang")
    RASON = "rason", _("Rason")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class AgeBand(models.TextChoices):
    """Age at the time of the pattern."""

    UNDER_14 = "0-13", _("Under 14")
    FROM_14_TO_17 = "14-17", _("14 to 17")
    FROM_18_TO_24 = "18-24", _("18 to 24")
    FROM_25_TO_34 = "25-34", _("25 to 34")
    FROM_35_TO_44 = "35-44", _("35 to 44")
    FROM_45_TO_59 = "45-59", _("45 to 59")
    FROM_60 = "60+", _("60 or older")
    UNKNOWN = "unknown", _("Unknown")


class TimeInChina(models.TextChoices):
    UNDER_1_YEAR = "under_1y", _("Less than a year")
    FROM_1_TO_3_YEARS = "1-3y", _("1 to 3 years")
    FROM_3_TO_5_YEARS = "3-5y", _("3 to 5 years")
    FROM_5_TO_10_YEARS = "5-10y", _("5 to 10 years")
    OVER_10_YEARS = "10y+", _("More than 10 years")
    UNKNOWN = "unknown", _("Unknown")


class CurrentStatus(models.TextChoices):
    IN_CHINA = "in_china", _("In China")
    THIRD_COUNTRY = "third_country", _("In a third country")
    SOUTH_KOREA = "south_korea", _("In South Korea")
    REPATRIATED = "repatriated", _("Repatriated")
    UNKNOWN = "unknown", _("Unknown")


class SourceProximity(models.TextChoices):
    """How close the source is to the events."""

    VICTIM = "victim", _("The victim")
    EYEWITNESS = "eyewitness", _("An eyewitness")
    HEARD_FROM_VICTIM = "heard_from_victim", _("Heard from the victim")
    SECOND_HAND = "second_hand", _("Second-hand")


class ConsentScope(models.TextChoices):
    AGGREGATE = "aggregate", _("May be counted in aggregate statistics")
    INTERNAL = "internal", _("Internal use only")
    WITHDRAWN = "withdrawn", _("Consent withdrawn")


# Each coded field of a case (and dimension of a table) with its vocabulary. The
# multi-valued ones take the names of their export dimensions.
VOCABULARIES: dict[str, type[models.TextChoices]] = {
    "primary_category": Category,
    "category": Category,
    "sub_pattern": SubPattern,
    "perpetrator": Perpetrator,
    "province_china": ProvinceChina,
    "province_origin": ProvinceOrigin,
    "gender": Gender,
    "age_band": AgeBand,
    "time_in_china": TimeInChina,
    "current_status": CurrentStatus,
    "source_proximity": SourceProximity,
    "consent_scope": ConsentScope,
}


# Years: from the famine of the 1990s, when the escapes to China began, to now.
FIRST_YEAR = 1990


def label_of(choices: type[models.TextChoices], value: str) -> str:
    """The label of `value` among `choices`, in the active language; the value itself
    if it is not one (a code retired since it was recorded)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def last_year() -> int:
    """The latest year a pattern may have: the current year (UTC)."""
    return timezone.now().year


def year_choices() -> list[tuple[int, str]]:
    """Every year a pattern may have, newest first (a form reads them several times)."""
    return list(_years_down_from(last_year()))


@functools.lru_cache(maxsize=2)
def _years_down_from(newest: int) -> tuple[tuple[int, str], ...]:
    return tuple((year, str(year)) for year in range(newest, FIRST_YEAR - 1, -1))
