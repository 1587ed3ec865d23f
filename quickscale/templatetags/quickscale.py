"""Template helpers shared by every generated project's pages."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

register = template.Library()


def _widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return ""
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return ""
    return "input"


@register.simple_tag
def form_widget(field: BoundField) -> SafeString:
    """Render a form field's widget with the CSS framework's class and its ARIA state."""
    attrs: dict[str, str | bool] = {}
    css = _widget_class(field.field.widget)
    described_by = []
    if field.errors:
        css = f"{css} is-danger".strip()
        attrs["aria-invalid"] = "true"
        described_by.append(f"{field.auto_id}_errors")
    if field.help_text:
        described_by.append(f"{field.auto_id}_help")
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if css:
        existing = field.field.widget.attrs.get("class", "")
        attrs["class"] = f"{existing} {css}".strip()
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_select(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.Select) and not isinstance(
        field.field.widget, forms.RadioSelect
    )
