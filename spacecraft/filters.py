"""Filters, search and ordering for the LL2 endpoints."""

import django_filters
from django.db.models import F
from rest_framework.filters import OrderingFilter, SearchFilter

from . import models


class SpacecraftFilter(django_filters.rest_framework.FilterSet):
    """LL2: ``in_space``, ``is_placeholder``, ``name`` (exact), ``spacecraft_config``, ``status``.

    Booleans take true/false/1/0 in any case and ignore other values, as LL2
    does; an id that is not a number or matches nothing is a 400 naming the
    parameter.
    """

    class Meta:
        model = models.Spacecraft
        fields = ["in_space", "is_placeholder", "name", "spacecraft_config", "status"]


class SpacecraftConfigFilter(django_filters.rest_framework.FilterSet):
    class Meta:
        model = models.SpacecraftConfig
        fields = ["agency", "human_rated", "in_use", "name"]


class SpacecraftConfigFamilyFilter(django_filters.rest_framework.FilterSet):
    class Meta:
        model = models.SpacecraftConfigFamily
        fields = ["manufacturer", "name"]


class AgencyFilter(django_filters.rest_framework.FilterSet):
    """The agency filters LL2 lists that our catalogue has the fields for."""

    country_code = django_filters.CharFilter(
        field_name="countries__alpha_3_code", lookup_expr="iexact", distinct=True
    )

    class Meta:
        model = models.Agency
        fields = {
            "id": ["exact"],
            "name": ["exact", "contains"],
            "abbrev": ["exact", "contains"],
            "description": ["exact", "contains"],
            "featured": ["exact"],
            "founding_year": ["exact", "gt", "gte", "lt", "lte"],
            "type__id": ["exact"],
        }


class LL2SearchFilter(SearchFilter):
    """DRF's search, bounded so hostile input cannot build a huge query.

    NUL characters cannot be stored in a term (PostgreSQL refuses them), so
    they are dropped, and only the first ``max_terms`` terms are used.
    """

    max_terms = 16

    def get_search_terms(self, request):
        terms = super().get_search_terms(request)
        terms = [term.replace("\x00", "") for term in terms]
        return [term for term in terms if term][: self.max_terms]


class StableOrderingFilter(OrderingFilter):
    """DRF's ordering plus ``id`` as the last tie-breaker, always.

    Without a unique last key, PostgreSQL may return rows that tie in a
    different order on each query, so pages repeat or skip records. Nulls sort
    as PostgreSQL sorts them (last ascending, first descending) on every
    database.
    """

    def filter_queryset(self, request, queryset, view):
        ordering = list(self.get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering.append("id")
        return queryset.order_by(*(self._expression(field) for field in ordering))

    @staticmethod
    def _expression(field):
        if field.startswith("-"):
            return F(field[1:]).desc(nulls_first=True)
        return F(field).asc(nulls_last=True)
