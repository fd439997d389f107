from django.contrib.admin.widgets import AdminDateWidget
from django.forms.renderers import get_default_renderer

from casebook.web.forms.case_list import CaseFilterForm


def test_django_s_widgets_are_drawn_by_jinja2_and_escaped():
    renderer = get_default_renderer()
    template = renderer.get_template("django/forms/widgets/select.html")
    assert type(template).__module__ == "django.template.backends.jinja2"
    form = CaseFilterForm({"reference": '"><script>alert(1)</script>'})
    html = str(form["reference"])
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_widget_only_django_s_engine_knows_is_drawn_by_it():
    html = AdminDateWidget().render("when", "2026-12-06")
    assert 'name="when"' in html and 'value="2026-12-06"' in html


def test_a_field_s_lazy_texts_are_escaped_as_django_s_templates_escape_them():
    from django import forms
    from django.utils.functional import lazy
    from django.utils.safestring import mark_safe

    class Form(forms.Form):
        listed = forms.CharField(
            label=lazy(lambda: "<b>label</b>", str)(),
            help_text=lazy(lambda: mark_safe("<ul><li>a rule</li></ul>"), str)(),  # noqa: S308
        )
        said = forms.CharField(help_text=lazy(lambda: "<script>x</script>", str)())

    form = Form()
    listed, said = form["listed"].as_field_group(), form["said"].as_field_group()
    assert "<ul><li>a rule</li></ul>" in listed and "&lt;b&gt;label&lt;/b&gt;" in listed
    assert "<script>" not in said and "&lt;script&gt;x&lt;/script&gt;" in said


def test_taxonomy_widgets_drawn_once_match_a_fresh_drawing_for_each_language_and_value():
    import re

    from django import forms
    from django.utils import translation

    from casebook.web.forms.cases import CasePatternForm
    from casebook.web.forms.rendering import FixedCheckboxes, FixedSelect

    fresh = {FixedSelect: forms.Select, FixedCheckboxes: forms.CheckboxSelectMultiple}
    values = {"primary_category": "detention", "sub_patterns": ["resold", "sold_by_broker"]}
    for language in ("en", "ko", "en"):
        with translation.override(language):
            for data in ({}, values, {"primary_category": "trafficking", "year": "2019"}):
                form = CasePatternForm(data or None, linkable=[], editing=False)
                for field in form:
                    kept = type(field.field.widget)
                    if kept not in fresh:
                        continue
                    drawn = str(field)
                    field.field.widget.__class__ = fresh[kept]  # the same widget, not kept
                    assert drawn == str(field), (language, field.name)
                    chosen = data.get(field.name, [])
                    for code in [chosen] if isinstance(chosen, str) else chosen:
                        assert re.search(f'value="{code}"[^>]* (selected|checked)', drawn), code
    with translation.override("ko"):
        korean = str(CasePatternForm(linkable=[], editing=False)["primary_category"])
    assert "인신매매" in korean and "Trafficking" not in korean


def test_only_drawings_of_no_code_or_one_valid_code_are_kept():
    from django import forms

    from casebook.web.forms import rendering
    from casebook.web.forms.rendering import FixedCheckboxes, FixedSelect

    rendering._drawings.clear()
    select = FixedSelect(choices=[("", "---------"), ("a", "A"), ("b", "B")])
    boxes = FixedCheckboxes(choices=[("a", "A"), ("b", "B")])
    for junk in ("x" * 100_000, "<b>", ["a", "b"]):
        select.render("code", junk)
        boxes.render("codes", junk)
    assert rendering._drawings == {}  # what was typed is drawn, never kept
    assert 'value="a" selected' in select.render("code", "a") and len(rendering._drawings) == 1
    select.render("code", None)
    boxes.render("codes", ["b"])
    assert len(rendering._drawings) == 3
    # The same name and codes with other labels: another drawing.
    other = FixedSelect(choices=[("", "All"), ("a", "A"), ("b", "B")])
    assert "All" in other.render("code", None) and "---------" in select.render("code", None)
    assert forms.Select(choices=select.choices).render("code", "a") == select.render("code", "a")


def _drawn_fresh(form, name):
    """The field's group as Django's own BoundField draws it (nothing kept)."""
    from django.forms.boundfield import BoundField

    return BoundField(form, form.fields[name], name).as_field_group()


def test_field_groups_kept_match_a_fresh_drawing_for_each_language_and_value():
    from django.utils import translation

    from casebook.models import Team
    from casebook.web.forms.case_list import CaseFilterForm
    from casebook.web.forms.cases import CaseCreateForm
    from casebook.web.forms.rendering import KeptFieldGroup

    teams, linkable = Team.objects.none(), [("CB-TEST-0001", "trafficking", 2019)]
    for language in ("en", "ko", "en"):
        with translation.override(language):
            for build in (
                lambda: CaseCreateForm(linkable=linkable, teams=teams),
                lambda: CaseFilterForm(),
                lambda: CaseFilterForm({"category": "detention", "reference": "CB-7K"}),
            ):
                for _twice in range(2):
                    form = build()
                    for field in form:
                        assert isinstance(field, KeptFieldGroup)
                        assert field.as_field_group() == _drawn_fresh(form, field.name), (
                            language,
                            field.name,
                        )
    with translation.override("ko"):
        korean = CaseFilterForm()["category"].as_field_group()
        label = translation.gettext("Category")
    assert label != "Category" and label in korean
    assert korean != CaseFilterForm()["category"].as_field_group()  # English, drawn apart


def test_what_was_typed_or_refused_is_drawn_never_kept():
    from casebook.web.forms import rendering
    from casebook.web.forms.case_list import CaseFilterForm
    from casebook.web.forms.cases import CasePatternForm

    rendering._drawings.clear()
    typed = "FICTIONAL-TYPED-TEXT"
    form = CasePatternForm(
        {"narrative": typed, "primary_category": "not-a-code", "year": "1066"},
        linkable=[("CB-TEST-0002", "detention", 2020)],
        editing=False,
    )
    assert not form.is_valid()
    for field in form:
        html = field.as_field_group()
        assert field.name != "narrative" or typed in html
    kept = "".join(rendering._drawings.values())
    assert typed not in kept and "not-a-code" not in kept and "1066" not in kept
    assert "CB-TEST-0002" not in kept  # a person's own cases are never kept
    assert "field-error" not in kept  # nor any field shown with its errors
    # The same field with nothing typed is kept, and shows none of it.
    empty = CasePatternForm(linkable=[], editing=False)["narrative"].as_field_group()
    assert typed not in empty and empty in rendering._drawings.values()
    assert "CB-7K" in CaseFilterForm({"reference": "CB-7K"})["reference"].as_field_group()
    assert "CB-7K" not in "".join(rendering._drawings.values())


def test_each_form_s_copy_of_fixed_choices_is_its_own_when_replaced():
    from casebook.models import Team
    from casebook.web.forms.cases import CaseCreateForm, CasePatternForm

    first = CasePatternForm(linkable=[], editing=False)
    second = CaseCreateForm(linkable=[], teams=Team.objects.none())
    first.fields["primary_category"].choices = [("", "-"), ("detention", "Only this")]
    assert len(second.fields["primary_category"].choices) > 2
    assert len(CasePatternForm(linkable=[], editing=False).fields["gender"].choices) > 2
    assert "Only this" not in str(CasePatternForm(linkable=[], editing=False)["primary_category"])


def test_a_zero_is_a_value_and_never_kept_as_nothing():
    from django import forms

    from casebook.web.forms import rendering
    from casebook.web.forms.rendering import KeptFieldGroup

    class Form(forms.Form):
        bound_field_class = KeptFieldGroup
        count = forms.IntegerField(required=False)

    rendering._drawings.clear()
    empty = Form()["count"].as_field_group()
    zero = Form(initial={"count": 0})["count"].as_field_group()
    assert 'value="0"' in zero and 'value="0"' not in empty
    assert len(rendering._drawings) == 1  # the empty one only


def test_own_choices_are_drawn_as_django_s_select_draws_them():
    from django import forms
    from django.utils.translation import gettext_lazy

    from casebook.web.forms.rendering import OwnSelect

    choices = [
        ("", gettext_lazy("No other case")),
        ("CB-AAAA-AAAA", 'CB-AAAA-AAAA · "<Trafficking>" & co · 2019'),
        (None, "no code"),
        (7, "a number"),
        ("CB-AAAA-AAAA", "the same code again"),
    ]
    for value in (None, "", "CB-AAAA-AAAA", "7", "CB-NONE-NONE", "<b>"):
        for attrs in (None, {"id": "id_picker", "aria-describedby": "id_picker_helptext"}):
            own = OwnSelect(choices=choices).render("picker", value, attrs)
            assert own == forms.Select(choices=choices).render("picker", value, attrs), value
            assert "<Trafficking>" not in own and "&lt;Trafficking&gt;" in own
            assert own.count(" selected") == (value in (None, "", "CB-AAAA-AAAA", "7")), value
