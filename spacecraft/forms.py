"""Admin form fields that speak LL2's wire formats.

Durations are typed and shown exactly as the API writes them (ISO 8601, as
isodate's ``duration_isoformat`` writes them: ``P1DT2H``, ``PT1M49S``,
``P0D``), parsed by the importer's ``parse_duration`` so the admin accepts
and refuses exactly what an import does.
"""

import datetime
import json

from django import forms
from django.core.exceptions import ValidationError

from spacecraft import documents
from spacecraft.fields import format_duration
from spacecraft.serializers import SpacecraftFlightDetailedSerializer
from spacecraft.values import parse_duration, parse_signed_duration

DURATION_HELP = (
    "An ISO 8601 duration, as the API writes it: P1DT2H (1 day 2 hours), "
    "PT1M49S (1 minute 49 seconds), P0D (zero). Days, hours, minutes and seconds only: "
    "no years or months, never negative. Leave empty for unknown (null)."
)


SIGNED_DURATION_HELP = (
    "An ISO 8601 duration, as the API writes it: P1DT2H (1 day 2 hours), PT1M49S, P0D; "
    "negative (-P10948DT2H) when the mission ended before the launch, as in LL2's data. "
    "Leave empty for unknown (null)."
)


class ISODurationField(forms.Field):
    """A ``timedelta`` typed and shown as an ISO 8601 duration."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": "%(reason)s. Enter an ISO 8601 duration such as P1DT2H, PT1M49S or P0D.",
    }

    def __init__(self, *, help_text="", signed=False, **kwargs):
        # Model fields pass their own (empty) help text; fall back to ours.
        self.parse = parse_signed_duration if signed else parse_duration
        if signed and not help_text:
            help_text = SIGNED_DURATION_HELP
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
            return self.parse(text)
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


# --- stored LL2 documents --------------------------------------------------------------


class DocumentFormField(forms.CharField):
    """An LL2 document (or list of them) typed as JSON, shown pretty-printed.

    The text must be JSON that fits the official schema's ``component``
    (``spacecraft/documents.py``); the error says which key is wrong. The
    cleaned value is the parsed document; the form stores its stored form.
    """

    def __init__(self, component, many=False, **kwargs):
        self.component, self.many = component, many
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}))
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, str) and value.strip():
            try:
                return json.dumps(json.loads(value), indent=2, ensure_ascii=False)
            except ValueError:
                return value  # what was typed, shown again with its error
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if not text.strip():
            if self.many:
                return []
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        try:
            parsed = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as error:
            raise ValidationError(f"Not JSON: {error}.", code="invalid") from None
        try:
            if self.many:
                documents.check_list(self.component, parsed, "the list")
            else:
                documents.check(self.component, parsed, "the document")
            documents.stored_form(parsed)
        except (documents.DocumentError, ValueError) as error:
            raise ValidationError(str(error), code="invalid") from None
        return parsed


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


class DocumentModelForm(forms.ModelForm):
    """A launch or landing: its ``document`` typed as JSON; the id and copied columns
    are read from it. Everything follows the model's ``LL2`` declaration
    (``spacecraft/documents.py``): the component the document must fit, its id rule,
    the columns it fills."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = self._meta.model
        self.fields["document"] = DocumentFormField(
            documents.component_of(model),
            help_text=model._meta.get_field("document").help_text,
        )

    def clean_document(self):
        document = self.cleaned_data["document"]
        model = self._meta.model
        try:
            pk = documents.document_id(model, document)
            self.copied = documents.copied_columns(model, document)
        except documents.DocumentError as error:
            raise ValidationError(str(error), code="invalid") from None
        existing = self.instance._state.adding is False
        if existing and pk != self.instance.pk:
            raise ValidationError(
                f"The document's id ({pk}) is not this record's ({self.instance.pk}): "
                "add a new record for another LL2 id.",
                code="id",
            )
        if not existing and model.objects.filter(pk=pk).exists():
            raise ValidationError(f"A record with id {pk} exists already.", code="id")
        self.document_pk = pk
        return documents.stored_form(document)

    def _post_clean(self):
        if "document" in self.cleaned_data:
            self.instance.pk = self.document_pk
            for name, value in self.copied.items():
                setattr(self.instance, name, value)
        super()._post_clean()


def document_lists(serializer_class):
    """{field: component of an item} of the document lists ``serializer_class`` writes
    from columns of its own model (a detailed flight's crews and docking events)."""
    return {
        name: field.component
        for name, field in serializer_class().fields.items()
        if isinstance(field, documents.DocumentField)
        and field.many_documents
        and field.source == name
    }


class FlightForm(forms.ModelForm):
    """A flight: the crew and docking lists typed as JSON, each item checked against
    the component the detailed flight's serializer declares for it (its duration and
    turn-around time are derived, never typed: ``spacecraft/figures.py``)."""

    lists = document_lists(SpacecraftFlightDetailedSerializer)  # {field: component}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, component in self.lists.items():
            if name in self.fields:
                self.fields[name] = DocumentFormField(
                    component,
                    many=True,
                    required=False,
                    help_text=f"A JSON list of LL2 {component} objects; [] when unknown.",
                )
                self.fields[name].widget.attrs["rows"] = 6

    def clean(self):
        cleaned = super().clean()
        for name in self.lists:
            if isinstance(cleaned.get(name), list):
                cleaned[name] = documents.stored_form(cleaned[name])
        return cleaned
