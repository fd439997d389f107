from django.contrib.admin.widgets import AdminDateWidget
from django.forms.renderers import get_default_renderer

from casebook.web.forms.cases import CaseFilterForm


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
