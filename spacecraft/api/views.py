"""Read-only LL2 endpoints.

Each viewset declares its representations by mode in one mapping and picks
one in ``get_serializer_class()``; the detail URL always answers in the
detailed form. The browsable API's help text is generated from the same
attributes the view filters, searches and orders with, so it cannot drift.
"""

from django.conf import settings
from django.http import Http404
from django.utils.html import escape
from django.utils.safestring import mark_safe
from rest_framework import viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from spacecraft import figures, serializers
from spacecraft.api import filters, rendering, selectors, throttling
from spacecraft.api.pagination import LL2Pagination


class LL2ViewSet(viewsets.ReadOnlyModelViewSet):
    """Behaviour shared by every LL2 endpoint.

    Subclasses set ``representations`` (mode -> serializer class, the first
    one is the default for lists) and ``detail_mode``; each mode's queryset
    is derived from its serializer (``selectors.queryset_for``).
    """

    representations = {}
    detail_mode = None
    endpoint = ""  # the path below /2.3.0/, for the help text
    filter_example = ""
    search_example = ""
    ordering_example = ""
    ordering = ["id"]
    pagination_class = LL2Pagination
    # LL2 answers GET (and HEAD) and advertises only GET.
    http_method_names = ["get", "head"]

    @property
    def allowed_methods(self):
        return ["GET"]

    @property
    def mode(self):
        if self.action == "retrieve" and self.detail_mode:
            return self.detail_mode
        requested = self.request.query_params.get("mode") if self.request else None
        if requested in self.representations:
            return requested
        return next(iter(self.representations))

    def get_serializer_class(self):
        return self.representations[self.mode]

    def get_queryset(self):
        return self.queryset_for(self.mode)

    @classmethod
    def clock_figures(cls):
        """Whether an answer may show a figure that grows with the clock (``figures.py``):
        the response cache keys those by the clock's tick too."""
        if "_clock_figures" not in cls.__dict__:
            cls._clock_figures = any(map(figures.renders_clock, cls.representations.values()))
        return cls._clock_figures

    # The fast path: the same representation, compiled from the serializer
    # (spacecraft/api/rendering.py), for JSON answers. The browsable API, and any
    # serializer the compiler does not know, use the serializer itself.
    fast = True
    # Answers depend only on the request and the catalogue (spacecraft/serving/cache.py).
    cache_responses = True

    def fast_plan(self):
        if not self.fast or not isinstance(self.request.accepted_renderer, rendering.JSONRenderer):
            return None
        return rendering.plan_for(self.get_serializer_class())

    def list(self, request, *args, **kwargs):
        plan = self.fast_plan()
        if plan is None:
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.rows_queryset())
        rows = self.paginate_queryset(rendering.PageSource(queryset, plan))
        if rows is None:
            ids = list(rendering.plain(queryset).values_list("pk", flat=True))
            return Response(plan.render(plan.fetch(ids), request))
        response = self.get_paginated_response(plan.render(rows, request))
        response.data = rendering.Document(response.data)
        return response

    def retrieve(self, request, *args, **kwargs):
        plan = self.fast_plan()
        if plan is None:
            return super().retrieve(request, *args, **kwargs)
        queryset = self.filter_queryset(self.rows_queryset())
        lookup = self.lookup_url_kwarg or self.lookup_field
        ids = rendering.plain(queryset).values_list("pk", flat=True)
        pk = get_object_or_404(ids, **{self.lookup_field: self.kwargs[lookup]})
        rows = plan.fetch([pk])
        if not rows:  # deleted in between
            raise Http404
        return Response(rendering.Document(plan.render(rows, request)[0]))

    def rows_queryset(self):
        """The fast path's base: the representation's rows in their order, without the joins
        and prefetches of ``get_queryset`` (the plan reads those itself)."""
        return selectors.rows_of(self.get_serializer_class())

    @classmethod
    def admit(cls, request):
        """For an answer the response cache holds (``spacecraft/serving/cache.py``): what
        the view would answer before reading the catalogue, or None to serve the cached one.

        The same DRF steps as a request the view answers (authentication, then
        throttling, which counts the call), so a cached answer is no way round a 401
        for a bad key or a 429 for a used-up rate, and is counted like any other call.
        """
        if not throttling.needs_admission(request):
            return None
        view = cls(action_map={"get": "list", "head": "list"})
        view.args, view.kwargs = (), {}
        view.format_kwarg = None
        view.headers = view.default_response_headers
        drf_request = view.initialize_request(request)
        view.request = drf_request
        try:
            view.initial(drf_request)
        except Exception as exc:
            response = view.finalize_response(drf_request, view.handle_exception(exc))
            return response.render()
        return None

    def queryset_for(self, mode):
        """The representation's objects with the joins its serializer needs (``selectors``)."""
        return selectors.queryset_for(self.representations[mode])

    def get_view_description(self, html=False):
        sections = help_sections(self)
        if html:
            return mark_safe("".join(_section_html(title, lines) for title, lines in sections))
        return "\n\n".join(_section_markdown(title, lines) for title, lines in sections)


def help_sections(view):
    """LL2's help text as (title, [line]) where a line is a list of parts.

    A part is plain text, ``("code", text)`` or ``("link", href, text)``.
    """
    base = "./" if view.detail is not True else "../"
    page = f"/{view.endpoint}/"

    def example(query, label="Example - "):
        return [label, ("link", f"{base}?{query}", f"{page}?{query}")]

    def codes(names):
        parts = []
        for index, name in enumerate(names):
            if index:
                parts.append(", ")
            parts.append(("code", name))
        return parts

    sections = []
    if len(view.representations) > 1:
        modes = list(view.representations)
        # LL2's example is the first listed mode that is not the default.
        example_mode = next(mode for mode in mode_order(modes) if mode != modes[0])
        sections.append(
            (
                "Modes",
                [
                    ["Levels of detail in the response - ", *codes(mode_order(modes))],
                    example(f"mode={example_mode}"),
                ],
            )
        )
    filterset = getattr(view, "filterset_class", None)
    if filterset is not None:
        sections.append(
            (
                "Filters",
                [
                    ["Parameters - ", *codes(sorted(filterset.base_filters))],
                    example(view.filter_example),
                ],
            )
        )
    if getattr(view, "search_fields", None):
        sections.append(
            (
                "Search",
                [
                    ["Fields searched - ", *codes(sorted(view.search_fields))],
                    example(f"search={view.search_example}"),
                ],
            )
        )
    if getattr(view, "ordering_fields", None):
        sections.append(
            (
                "Ordering",
                [
                    ["Fields - ", *codes(sorted(view.ordering_fields))],
                    example(f"ordering={view.ordering_example}"),
                ],
            )
        )
    sections.append(
        (
            "Number of results",
            [
                [
                    "Use ",
                    ("code", "limit"),
                    " to control the number of objects in the response "
                    f"(max {view.pagination_class.max_limit})",
                ],
                example("limit=2"),
            ],
        )
    )
    sections.append(("Format", [example("format=json", "Switch to JSON output - ")]))
    docs = settings.LL2_DOCS_URL
    docs_label = docs.split("://", 1)[-1].rstrip("/")
    sections.append(
        (
            "Help",
            [
                [
                    "Find all the FAQs and support links on the documentation homepage - ",
                    ("link", docs, docs_label),
                ]
            ],
        )
    )
    return sections


def mode_order(modes):
    order = {"list": 0, "normal": 1, "detailed": 2}
    return sorted(modes, key=lambda mode: order.get(mode, 3))


def _part_markdown(part):
    if isinstance(part, str):
        return part
    if part[0] == "code":
        return f"`{part[1]}`"
    return f"[{part[2]}]({part[1]})"


def _part_html(part):
    if isinstance(part, str):
        return escape(part)
    if part[0] == "code":
        return f"<code>{escape(part[1])}</code>"
    return f'<a href="{escape(part[1])}">{escape(part[2])}</a>'


def _section_markdown(title, lines):
    body = "\n\n".join("".join(_part_markdown(p) for p in line) for line in lines)
    return f"#### {title}\n{body}"


def _section_html(title, lines):
    body = "".join("<p>" + "".join(_part_html(p) for p in line) + "</p>" for line in lines)
    return f"<h4>{escape(title)}</h4>{body}"


class SpacecraftViewSet(LL2ViewSet):
    representations = {
        "normal": serializers.SpacecraftNormalSerializer,
        "detailed": serializers.SpacecraftEndpointDetailedSerializer,
    }
    detail_mode = "detailed"
    endpoint = "spacecraft"
    filterset_class = filters.SpacecraftFilter
    filter_example = "is_placeholder=True"
    search_fields = ["name", "spacecraft_config__name"]
    search_example = "Endeavour"
    ordering_fields = ["flights_count", "id", "mission_ends_count", "time_docked", "time_in_space"]
    ordering_example = "-flights_count"


class SpacecraftFlightViewSet(LL2ViewSet):
    representations = {
        "normal": serializers.SpacecraftFlightNormalSerializer,
        "detailed": serializers.SpacecraftFlightDetailedSerializer,
    }
    detail_mode = "detailed"
    endpoint = "spacecraft_flights"
    filterset_class = filters.SpacecraftFlightFilter
    filter_example = "spacecraft=289"
    # The flight's own order (by launch date, then id) unless ``?ordering=`` asks otherwise.
    ordering = list(serializers.SpacecraftFlightNormalSerializer.Meta.model._meta.ordering)
    # What a person orders flights by: the flight's own figures and the launch's date.
    # Not the stored documents (``launch__document``: raw JSON text), nor the nested
    # spacecraft or the crews: DRF would otherwise accept every serializer source.
    # (LL2 declares ``ordering`` here without saying which fields it takes.)
    ordering_fields = [
        "destination",
        "duration",
        "id",
        "launch__net",
        "mission_end",
        "turn_around_time",
    ]
    ordering_example = "-launch__net"


class SpacecraftConfigViewSet(LL2ViewSet):
    representations = {
        "normal": serializers.SpacecraftConfigNormalSerializer,
        "detailed": serializers.SpacecraftConfigDetailedSerializer,
    }
    detail_mode = "detailed"
    endpoint = "spacecraft_configurations"
    filterset_class = filters.SpacecraftConfigFilter
    filter_example = "human_rated=True"
    search_fields = ["agency__abbrev", "agency__name", "name"]
    search_example = "Dragon"
    ordering_fields = ["name"]
    ordering_example = "name"


class AgencyViewSet(LL2ViewSet):
    representations = {
        "normal": serializers.AgencyNormalSerializer,
        "list": serializers.AgencyMiniSerializer,
        "detailed": serializers.AgencyEndpointDetailedSerializer,
    }
    detail_mode = "detailed"
    endpoint = "agencies"
    filterset_class = filters.AgencyFilter
    filter_example = "abbrev=NASA"
    search_fields = ["name", "abbrev"]
    search_example = "SpaceX"
    ordering_fields = ["id", "name", "featured", *filters.AGENCY_FILTERED_STATS]
    ordering_example = "-total_launch_count"


class SpacecraftConfigFamilyViewSet(LL2ViewSet):
    representations = {
        "normal": serializers.SpacecraftConfigFamilyNormalSerializer,
        "list": serializers.SpacecraftConfigFamilyMiniSerializer,
        "detailed": serializers.SpacecraftConfigFamilyEndpointDetailedSerializer,
    }
    detail_mode = "detailed"
    endpoint = "spacecraft_configuration_families"
    filterset_class = filters.SpacecraftConfigFamilyFilter
    filter_example = "manufacturer=121"
    search_fields = ["manufacturer__abbrev", "manufacturer__name", "name"]
    search_example = "Northrop"
    ordering_fields = ["name"]
    ordering_example = "name"


class SpacecraftStatusViewSet(LL2ViewSet):
    representations = {"normal": serializers.SpacecraftStatusSerializer}
    endpoint = "config/spacecraft_statuses"


class SpacecraftConfigTypeViewSet(LL2ViewSet):
    representations = {"normal": serializers.SpacecraftConfigTypeSerializer}
    endpoint = "config/spacecraft_configuration_types"


class APIThrottleView(APIView):
    """LL2's `/2.3.0/api-throttle/`: the caller's rate and what is left of it.

    `your_request_limit` calls are allowed each `limit_frequency_secs` seconds;
    `current_use` of them are used in the current window, and `next_use_secs` is
    0 while calls are left, else the seconds until the next window. `ident` is
    the caller: the API key's name for a call with `Authorization: Token <key>`,
    else the client address. Calling this endpoint is always allowed, uses up no
    call, and is never cached. With no rate for the caller, `your_request_limit`
    is 2147483647 and `limit_frequency_secs` 0.
    """

    http_method_names = LL2ViewSet.http_method_names
    allowed_methods = ["GET"]  # advertised in Allow, as every endpoint's
    throttle_classes = []  # always allowed, and counts nothing
    serializer_class = throttling.APIThrottleSerializer

    def get(self, request, format=None):
        response = Response(self.serializer_class(throttling.figures(request)).data)
        response["Cache-Control"] = "no-store"
        return response
