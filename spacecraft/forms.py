"""Admin form fields that speak LL2's wire formats.

Durations are typed and shown exactly as the API writes them (ISO 8601, as
isodate's ``duration_isoformat`` writes them: ``P1DT2H``, ``PT1M49S``,
``P0D``), parsed by the importer's ``parse_duration`` so the admin accepts
and refuses exactly what an import does.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError

from .fields import format_duration
from .importer import parse_duration

DURATION_HELP = (
    "An ISO 8601 duration, as the API writes it: P1DT2H (1 day 2 hours), "
    "PT1M49S (1 minute 49 seconds), P0D (zero). Days, hours, minutes and seconds only: "
    "no years or months, never negative. Leave empty for unknown (null)."
)


class ISODurationField(forms.Field):
    """A ``timedelta`` typed and shown as an ISO 8601 duration."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": "%(reason)s. Enter an ISO 8601 duration such as P1DT2H, PT1M49S or P0D.",
    }

    def __init__(self, *, help_text="", **kwargs):
        # Model fields pass their own (empty) help text; fall back to ours.
        super().__init__(help_text=help_text or DURATION_HELP, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, datetime.timedelta):
            return format_duration(value)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.timedelta):
            return value
        text = str(value).strip()
        if not text:
            return None
        try:
            return parse_duration(text)
        except ValueError as error:
            reason = str(error)
            reason = reason[:1].upper() + reason[1:]
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"reason": reason}
            ) from None

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("placeholder", "e.g. P1DT2H")
        attrs.setdefault("spellcheck", "false")
        attrs.setdefault("autocomplete", "off")
        return attrs
