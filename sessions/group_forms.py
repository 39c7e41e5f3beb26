"""Forms for the group note: validate and normalise only."""

from __future__ import annotations

from typing import Any

from django import forms


class GroupNoteForm(forms.Form):
    """The shared part and one private part per member, keyed ``private_<patient id>``."""

    themes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Shared: themes",
        help_text="Every member's chart shows the shared part: no member's name.",
    )
    practices = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Shared: practices"
    )

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = members
        for patient in members:
            self.fields[f"private_{patient.pk}"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                label=f"Private: {patient.display_name}",
                help_text="Shown on this member's chart only.",
            )

    def private_fields(self) -> list[tuple[Any, forms.BoundField]]:
        return [(p, self[f"private_{p.pk}"]) for p in self.members]

    def private(self) -> dict[int, str]:
        return {p.pk: self.cleaned_data[f"private_{p.pk}"] for p in self.members}


class SignForm(forms.Form):
    names_confirmed = forms.BooleanField(
        required=False, label="The shared part is meant to name a member"
    )


class GroupAddendumForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Addendum")
    patient = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="To", choices=()
    )

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {p.pk: p for p in members}
        self.fields["patient"].choices = [("", "The shared part (every member's chart)")] + [
            (p.pk, f"{p.display_name}'s private part") for p in members
        ]

    def member(self) -> Any:
        pk = self.cleaned_data.get("patient")
        return self.members.get(pk) if pk else None
