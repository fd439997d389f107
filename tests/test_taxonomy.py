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
