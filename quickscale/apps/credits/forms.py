from __future__ import annotations

import uuid

from django import forms

from quickscale.apps.credits.models import MAX_CREDITS, EntryKind, LotKind


class _OperatorForm(forms.Form):
    # Rendered into the form when it is shown, so a double submit takes effect once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)
    reason = forms.CharField(
        max_length=255, help_text="Recorded in the ledger with your name.", strip=True
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"idempotency_key": f"admin:{uuid.uuid4()}"})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class GrantForm(_OperatorForm):
    amount = forms.IntegerField(
        min_value=1, max_value=MAX_CREDITS, help_text=f"At most {MAX_CREDITS:,} credits."
    )
    kind = forms.ChoiceField(choices=LotKind.choices, initial=LotKind.PROMO)
    expires_at = forms.DateTimeField(
        required=False,
        help_text="Required for subscription credits; empty means they never expire.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    field_order = ("amount", "kind", "expires_at", "reason", "idempotency_key")


class AdjustForm(_OperatorForm):
    amount = forms.IntegerField(
        min_value=-MAX_CREDITS,
        max_value=MAX_CREDITS,
        help_text="Positive adds permanent credits; negative removes credits in spending order.",
    )
    field_order = ("amount", "reason", "idempotency_key")

    def clean_amount(self) -> int:
        amount: int = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("An adjustment cannot be zero.")
        return amount


class LedgerFilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "All entries"), *EntryKind.choices], required=False, label="Show"
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
