"""Filters, search and ordering for the LL2 endpoints."""

import operator
from functools import reduce

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, Expression, F, ForeignKey, OuterRef, Q, Subquery
from django.db.models import fields as model_fields
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.filters import OrderingFilter, SearchFilter, search_smart_split

from spacecraft import fieldtypes, figures, models


class IntegerFilter(django_filters.NumberFilter):
    """A number filter on an integer column that refuses numbers of over 20 digits.

    ``founding_year=1e999999999`` is a valid decimal; Django would turn it into
    a billion-digit integer before finding it out of range, holding a worker
    for minutes. Past 20 digits (beyond any 64-bit integer) the value is a 400
    naming the parameter; up to that, an id out of the column's range simply
    matches nothing.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 20)
        super().__init__(*args, **kwargs)


class TextFilter(django_filters.CharFilter):
    """A text filter (``name``, ``description__contains``...) that long input cannot break.

    No text column holds more than ``max_length`` characters, so a longer value
    matches nothing, and is answered so without a query: SQLite refuses a
    ``LIKE`` pattern of over 50,000 bytes. (A NUL character is a 400 naming the
    parameter, from the form field.)
    """

    max_length = 2048

    def filter(self, queryset, value):
        if value and len(value) > self.max_length:
            return queryset.none()
        return super().filter(queryset, value)


class RelatedIdFilter(django_filters.ModelChoiceFilter):
    """A foreign key filter (``status``, ``spacecraft_config``, ``agency``...) typed as an id.

    The browsable API's Filters dialog shows it as a number box, not django-filter's
    ``<select>`` listing every row of the related table (thousands of configurations
    make a page of megabytes). Only the widget differs: the value is still looked
    up in the table, so an id that is not a number or matches nothing is the same
    400 naming the parameter, and the OpenAPI parameter is the same integer.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": 1}))
        super().__init__(*args, **kwargs)


class LL2FilterBackend(django_filters.rest_framework.DjangoFilterBackend):
    """django-filter's backend, which builds no filter set when no parameter names a filter.

    With none of its parameters in the query, a filter set filters nothing; building it (a
    deep copy of every filter, then a form) was the largest cost of a plain list or detail
    request. Any request that names a filter goes through django-filter as before.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if not any(name in request.query_params for name in filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


# The filter class of each filter type of the field types' registry.
FILTER_CLASSES = {fieldtypes.TEXT: TextFilter, fieldtypes.INTEGER: IntegerFilter}


class LL2FilterSet(django_filters.rest_framework.FilterSet):
    FILTER_DEFAULTS = {
        **django_filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        ForeignKey: {
            **django_filters.rest_framework.FilterSet.FILTER_DEFAULTS[ForeignKey],
            "filter_class": RelatedIdFilter,
        },
        **{
            model_field: {"filter_class": FILTER_CLASSES[entry.filter]}
            for model_field, entry in fieldtypes.REGISTRY.items()
            if entry.filter is not None
        },
    }

    def get_form_class(self):
        """The form class, built once per filter set class (its fields depend on nothing else)."""
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = cls._form_class = super().get_form_class()
        return form_class


class SpacecraftFilter(LL2FilterSet):
    """LL2: ``in_space``, ``is_placeholder``, ``name`` (exact), ``spacecraft_config``, ``status``.

    Booleans take true/false/1/0 in any case and ignore other values, as LL2
    does; an id that is not a number or matches nothing is a 400 naming the
    parameter.
    """

    class Meta:
        model = models.Spacecraft
        fields = ["in_space", "is_placeholder", "name", "spacecraft_config", "status"]


class SpacecraftFlightFilter(LL2FilterSet):
    """LL2: ``spacecraft`` (an id; not a number or no such spacecraft is a 400)."""

    class Meta:
        model = models.SpacecraftFlight
        fields = ["spacecraft"]


class SpacecraftConfigFilter(LL2FilterSet):
    class Meta:
        model = models.SpacecraftConfig
        fields = ["agency", "human_rated", "in_use", "name"]


class SpacecraftConfigFamilyFilter(LL2FilterSet):
    class Meta:
        model = models.SpacecraftConfigFamily
        fields = ["manufacturer", "name"]


class CountryCodesFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """Comma-separated ISO 3166-1 alpha-3 codes, any case: agencies in any of them.

    The codes are matched against the (small) country table first, so the
    agency query has one parameter per matching country, however many codes
    the request lists.
    """

    def filter(self, queryset, value):
        codes = {code.strip().upper() for code in value or () if code.strip()}
        if not codes:
            return queryset
        countries = [
            pk
            for pk, code in models.Country.objects.values_list("id", "alpha_3_code")
            if code.upper() in codes
        ]
        return queryset.filter(countries__in=countries).distinct()


# The agency statistics LL2 filters (exact, __gt, __gte, __lt, __lte) and orders by;
# the ``_spacecraft``/``_payload`` landing counts it sends but offers neither for.
AGENCY_FILTERED_STATS = [
    name for name in models.AGENCY_STATS if not name.endswith(("_spacecraft", "_payload"))
]
COMPARISONS = ["exact", "gt", "gte", "lt", "lte"]


@extend_schema_field(OpenApiTypes.INT)
class ParentIdFilter(IntegerFilter):
    """``parent__id``: the agencies whose parent is agency ``id``.

    LL2 sends (and we store) the parent as its name, so the parent is known
    when an agency of that id is in the catalogue: its children are the
    agencies whose ``parent`` is its name. An id of no agency matches nothing;
    a value that is not a number is a 400 naming the parameter.
    """

    def filter(self, queryset, value):
        if value in (None, ""):
            return queryset
        if not _fits_an_id(value):
            return queryset.none()
        names = models.Agency.objects.filter(pk=int(value)).values("name")
        return queryset.filter(parent__in=names)


def _fits_an_id(value):
    """Whether ``value`` (a Decimal) is a whole number an id column can hold."""
    return value == value.to_integral_value() and -(2**31) <= value < 2**31


class AgencyFilter(LL2FilterSet):
    """LL2's agency filters.

    ``spacecraft``: true keeps the agencies with at least one spacecraft
    configuration (their ``spacecraft_list``), false the others.
    """

    country_code = CountryCodesFilter()
    # DRF's boolean: true/false/1/0, anything else ignored (not Django's "2"/"3").
    spacecraft = django_filters.rest_framework.BooleanFilter(method="filter_spacecraft")
    parent__id = ParentIdFilter()

    class Meta:
        model = models.Agency
        fields = {
            "id": ["exact"],
            "name": ["exact", "contains"],
            "abbrev": ["exact", "contains"],
            "description": ["exact", "contains"],
            "featured": ["exact"],
            "founding_year": COMPARISONS,
            "type__id": ["exact"],
            **dict.fromkeys(AGENCY_FILTERED_STATS, COMPARISONS),
        }

    def filter_spacecraft(self, queryset, name, value):
        configs = models.SpacecraftConfig.objects.filter(agency=OuterRef("pk"))
        return queryset.filter(Exists(configs) if value else ~Exists(configs))


class LL2SearchFilter(SearchFilter):
    """DRF's search, bounded so hostile input cannot build a huge query.

    NUL characters cannot be stored in a term (PostgreSQL refuses them), so
    they are dropped before DRF sees them (DRF would answer 400), and only the
    first ``max_terms`` terms are used. No searched field holds more than
    ``max_term_length`` characters, so a longer term matches nothing; it is
    answered without a query (SQLite refuses LIKE patterns over 50,000 bytes).
    """

    max_terms = 16
    max_term_length = 255

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "").replace("\x00", "")
        return [term for term in search_smart_split(value) if term][: self.max_terms]

    def filter_queryset(self, request, queryset, view):
        terms = self.get_search_terms(request)
        if any(len(term) > self.max_term_length for term in terms):
            return queryset.none()
        fields = self.get_search_fields(view, request)
        if not fields or not terms:
            return queryset
        # DRF's search (every term matches some field), but a field reached
        # through a foreign key is matched as "the key is one of the related
        # rows that match": same rows, and on PostgreSQL both sides of the OR
        # can use an index (trigram indexes on the names, migration 0004)
        # instead of a scan of the whole joined table.
        lookups = [self.construct_search(str(field), queryset) for field in fields]
        model = queryset.model
        condition = reduce(
            operator.and_,
            (
                reduce(operator.or_, (_search_match(model, lookup, term) for lookup in lookups))
                for term in terms
            ),
        )
        base, queryset = queryset, queryset.filter(condition)
        if self.must_call_distinct(queryset, fields):
            queryset = base.filter(Exists(queryset.filter(pk=OuterRef("pk"))))
        return queryset


class AnyOf(Expression):
    """``column = ANY(ARRAY(subquery))``: on PostgreSQL, unlike ``IN (subquery)`` under an
    OR, an index scan; elsewhere ``column IN (subquery)``."""

    output_field = model_fields.BooleanField()
    conditional = True

    def __init__(self, column, queryset):
        super().__init__()
        self.column, self.subquery = F(column), Subquery(queryset)

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, expressions):
        self.column, self.subquery = expressions

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        subquery, subquery_params = compiler.compile(self.subquery)
        if connection.vendor == "postgresql":
            return f"{column} = ANY(ARRAY{subquery})", (*column_params, *subquery_params)
        return f"{column} IN {subquery}", (*column_params, *subquery_params)


def _search_match(model, lookup, term):
    """``Q(lookup=term)``, or ``AnyOf`` when ``lookup`` goes through one foreign key."""
    first, _, rest = lookup.partition("__")
    try:
        field = model._meta.get_field(first) if rest.count("__") == 1 else None
    except FieldDoesNotExist:
        field = None
    if field is None or not field.many_to_one or field.auto_created:
        return Q(**{lookup: term})
    related = field.related_model._default_manager.filter(**{rest: term}).values("pk")
    return AnyOf(field.attname, related)


class StableOrderingFilter(OrderingFilter):
    """DRF's ordering plus ``id`` as the last tie-breaker, always.

    Without a unique last key, PostgreSQL may return rows that tie in a
    different order on each query, so pages repeat or skip records. Nulls sort
    as PostgreSQL sorts them (last ascending, first descending) on every
    database.
    """

    def get_schema_operation_parameters(self, view):
        """LL2's ``ordering`` parameter, its description naming the fields it takes."""
        parameters = super().get_schema_operation_parameters(view)
        fields = sorted(getattr(view, "ordering_fields", None) or ())
        if fields:
            named = ", ".join(f"`{name}`" for name in fields)
            for parameter in parameters:
                parameter["description"] = (
                    f"{self.ordering_description} One or more of {named}, comma-separated; "
                    "`-` before a field for descending. Other fields are ignored."
                )
        return parameters

    def filter_queryset(self, request, queryset, view):
        ordering = list(self.get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering.append("id")
        model = queryset.model.__name__
        return queryset.order_by(*(self._expression(model, f, request) for f in ordering))

    @staticmethod
    def _expression(model, field, request):
        name = field.lstrip("-")
        # A figure that grows with the clock is ordered by the value the answer shows.
        clocked = figures.CLOCK_ORDERINGS.get((model, name))
        value = clocked(figures.request_clock(request)) if clocked else F(name)
        if field.startswith("-"):
            return value.desc(nulls_first=True)
        return value.asc(nulls_last=True)
