from django.utils import translation

from casebook import taxonomy


def test_every_sub_pattern_belongs_to_exactly_one_category():
    listed = [code for codes in taxonomy.SUB_PATTERNS_BY_CATEGORY.values() for code in codes]
    assert sorted(listed) == sorted(taxonomy.SubPattern.values)
    assert set(taxonomy.SUB_PATTERNS_BY_CATEGORY) == set(taxonomy.Category.values)


def test_codes_are_unique_lowercase_identifiers_within_each_vocabulary():
    vocabularies = [
        taxonomy.Category,
        taxonomy.SubPattern,
        taxonomy.Perpetrator,
        taxonomy.ProvinceChina,
        taxonomy.ProvinceOrigin,
        taxonomy.Gender,
        taxonomy.AgeBand,
        taxonomy.TimeInChina,
        taxonomy.CurrentStatus,
        taxonomy.SourceProximity,
        taxonomy.ConsentScope,
    ]
    for vocabulary in vocabularies:
        codes = vocabulary.values
        assert len(codes) == len(set(codes)), vocabulary
        assert all(code == code.lower() and " " not in code for code in codes), vocabulary


def test_domain_vocabularies_match_domain_md():
    assert taxonomy.ProvinceChina.values == [
        "jilin",
        "liaoning",
        "heilongjiang",
        "shandong",
        "inner_mongolia",
        "beijing",
        "yunnan",
        "other",
        "unknown",
    ]
    assert taxonomy.CurrentStatus.values == [
        "in_china",
        "third_country",
        "south_korea",
        "repatriated",
        "unknown",
    ]
    assert taxonomy.ConsentScope.values == ["aggregate", "internal", "withdrawn"]
    assert len(taxonomy.Perpetrator.values) == 8


def test_labels_are_translatable_lazily():
    label = taxonomy.Category.TRAFFICKING.label
    with translation.override("en"):
        assert str(label) == "Trafficking"
    assert type(label).__name__ == "__proxy__"


def test_years_run_from_1990_to_this_year():
    years = [year for year, _ in taxonomy.year_choices()]
    assert years[-1] == taxonomy.FIRST_YEAR == 1990
    assert years[0] == taxonomy.last_year()


def test_the_forms_years_follow_the_calendar_into_a_new_year():
    import datetime as dt
    from unittest import mock

    from casebook.web.forms.case_list import CaseFilterForm
    from casebook.web.forms.cases import CasePatternForm

    def offered(form):
        return [code for code, _ in form.fields["year"].choices]

    this_year = taxonomy.last_year()
    assert offered(CaseFilterForm())[:2] == ["", this_year]
    new_year = dt.datetime(this_year + 1, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=new_year):
        assert offered(CaseFilterForm())[:3] == ["", this_year + 1, this_year]
        form = CasePatternForm({"year": str(this_year + 1)}, linkable=[], editing=False)
        form.is_valid()
        assert "year" not in form.errors and form.cleaned_data["year"] == this_year + 1
    assert offered(CasePatternForm(linkable=[], editing=False))[1] == this_year
