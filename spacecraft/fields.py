"""Serializer fields for LL2's wire format."""

import isodate
from rest_framework import serializers
from rest_framework.reverse import reverse


class ResponseModeField(serializers.Field):
    """The constant ``response_mode`` key LL2 puts first in a record."""

    def __init__(self, mode):
        self.mode = mode
        super().__init__(source="*", read_only=True)

    def to_representation(self, value):
        return self.mode


class ISODurationField(serializers.Field):
    """A duration as isodate writes it: ``P0D``, ``PT1M49S``, ``P1DT1H18M``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return format_duration(value)


def format_duration(value):
    return None if value is None else isodate.duration_isoformat(value)


class DetailURLField(serializers.Field):
    """``url``: the record's own absolute detail URL.

    DRF's ``reverse`` keeps the request's ``?format=``, as LL2 does
    (``.../spacecraft/520/?format=api``).
    """

    def __init__(self, view_name):
        self.view_name = view_name
        super().__init__(source="pk", read_only=True)

    def to_representation(self, value):
        return reverse(self.view_name, kwargs={"pk": value}, request=self.context.get("request"))
