"""The figures that follow a spacecraft's flights: LL2's rules, stated once.

A flight (in launch order: launch ``net``, then id, the flights' own order):

- ``duration`` = its ``mission_end`` - its launch's ``net`` (null without a
  mission end). It may be negative, as in real LL2 data (``-P10948DT2H``):
  a negative duration is what this subtraction gives when a mission end was
  typed before the launch, so LL2 computes it and does not type it in.
- ``turn_around_time`` = its launch's ``net`` - the previous flight's
  ``mission_end`` (null for the first flight, or when the previous one has no
  mission end): the time the spacecraft spent on the ground between flights.

A spacecraft:

- ``flights_count`` = its flights; ``mission_ends_count`` = its flights with a
  mission end;
- ``time_in_space`` = the sum of its flights' durations (a negative one, a
  data error, counts as zero; no flights: ``P0D``). While the spacecraft is
  ``in_space`` and its last flight has no mission end, that flight counts from
  its launch to now: the figure grows with the clock, as on LL2;
- ``fastest_turnaround`` = the least of its flights' turn-around times (a
  negative one counts as none; null when there is none).

``time_docked`` is not derived: it comes from docking events, and no real LL2
material this project holds gives a spacecraft's ``time_docked`` together with
the docking events it would be summed from, so the rule cannot be checked.

These rules are applied when flights change in the admin (``apply()``), never
by an import: what LL2 sends is kept as sent. An imported ``time_in_space`` of
a spacecraft ``in_space`` grows from the moment it was imported
(``imported_clock()``), as LL2's own value grows after it was fetched.

The clock: a growing ``time_in_space`` is stored with the moment it was true
(``time_in_space_at``) and the value it had then (``time_in_space_base``). It
is served as ``time_in_space + (now - time_in_space_at)`` while the
spacecraft is ``in_space`` and the stored ``time_in_space`` still equals the
base; anything that writes another ``time_in_space`` (an LL2 import, a value
typed in the admin) stops the growth and is served exactly as written. "Now"
is the API's clock tick (``clock()``): the wall clock rounded down to
``API_CLOCK_FIGURES_SECONDS``, the same for every instance, so a cached answer
(keyed by the tick) is at most that many seconds behind.
"""

import datetime
import time

from django.conf import settings
from django.db.models import Case, DurationField, ExpressionWrapper, F, Q, Value, When
from rest_framework import serializers

from spacecraft.fields import ISODurationField

ZERO = datetime.timedelta(0)
UTC = datetime.UTC

# The spacecraft columns the clock reads, beside ``time_in_space`` itself.
CLOCK_COLUMNS = ("in_space", "time_in_space_base", "time_in_space_at")


# --- the rules ----------------------------------------------------------------------------


def flight_duration(net, mission_end):
    return None if mission_end is None or net is None else mission_end - net


def turn_around_time(net, previous_mission_end):
    return None if previous_mission_end is None or net is None else net - previous_mission_end


def flight_figures(flights):
    """[(duration, turn_around_time)] of ``flights`` ([(net, mission_end)], in launch order)."""
    figures, previous_end = [], None
    for index, (net, mission_end) in enumerate(flights):
        around = turn_around_time(net, previous_end) if index else None
        figures.append((flight_duration(net, mission_end), around))
        previous_end = mission_end
    return figures


def spacecraft_figures(flights, in_space, now):
    """The spacecraft's figures from its ``flights`` ([(net, mission_end)], in launch order).

    A dict of ``flights_count``, ``mission_ends_count``, ``time_in_space``,
    ``fastest_turnaround``, and the clock's ``time_in_space_base`` and
    ``time_in_space_at`` (null unless the figure grows from ``now``).
    """
    per_flight = flight_figures(flights)
    total = ZERO
    for duration, _ in per_flight:
        if duration is not None and duration > ZERO:
            total += duration
    grows = bool(flights) and in_space and flights[-1][1] is None and flights[-1][0] <= now
    if grows:
        total += now - flights[-1][0]
    turnarounds = [around for _, around in per_flight if around is not None and around >= ZERO]
    return {
        "flights_count": len(flights),
        "mission_ends_count": sum(1 for _, mission_end in flights if mission_end is not None),
        "time_in_space": total,
        "fastest_turnaround": min(turnarounds) if turnarounds else None,
        "time_in_space_base": total if grows else None,
        "time_in_space_at": now if grows else None,
    }


def apply(spacecraft, now=None):
    """Set the figures of ``spacecraft`` and of its flights from its flights (admin saves).

    Saved with ``save(update_fields=...)``, so the catalogue stamp changes
    as for any other save, in the caller's transaction.
    """
    now = now or datetime.datetime.fromtimestamp(int(wall_clock()), UTC)
    flights = list(spacecraft.flights.select_related("launch").order_by("launch__net", "id"))
    timeline = [(flight.launch.net, flight.mission_end) for flight in flights]
    for flight, (duration, around) in zip(flights, flight_figures(timeline), strict=True):
        if (flight.duration, flight.turn_around_time) != (duration, around):
            flight.duration, flight.turn_around_time = duration, around
            flight.save(update_fields=["duration", "turn_around_time"])
    values = spacecraft_figures(timeline, spacecraft.in_space, now)
    changed = [name for name, value in values.items() if getattr(spacecraft, name) != value]
    for name in changed:
        setattr(spacecraft, name, values[name])
    if changed:
        spacecraft.save(update_fields=changed)
    return values


def imported_clock(model, values, stored, now):
    """The clock columns an import writes beside a spacecraft's figures (others: none).

    LL2's ``time_in_space`` of a spacecraft in space grows with LL2's clock, so the value a
    record brings is served growing from the moment it was imported: ``values`` (the record's
    columns, as converted) over ``stored`` (the row as it is, or None). The same value again,
    already growing from an earlier import, keeps growing from then; another value starts
    again from now; a spacecraft not in space does not grow.
    """
    if model._meta.label != "spacecraft.Spacecraft" or (
        "time_in_space" not in values and "in_space" not in values
    ):
        return {}
    stored = stored or {}
    in_space = values.get("in_space", stored.get("in_space", False))
    value = values.get("time_in_space", stored.get("time_in_space"))
    if not in_space or value is None:
        return {"time_in_space_base": None, "time_in_space_at": None}
    if (
        stored.get("time_in_space") == value
        and stored.get("time_in_space_base") == value
        and stored.get("time_in_space_at") is not None
    ):
        return {}
    return {"time_in_space_base": value, "time_in_space_at": now}


# --- the clock ----------------------------------------------------------------------------

wall_clock = time.time  # the tests set their own


def clock():
    """The API's "now" for growing figures: the wall clock, to the whole
    second, rounded down to a multiple of ``API_CLOCK_FIGURES_SECONDS``."""
    step = settings.API_CLOCK_FIGURES_SECONDS
    now = int(wall_clock())
    if step > 0:
        now -= now % step
    return datetime.datetime.fromtimestamp(now, UTC)


def request_clock(request):
    """``clock()`` once per request: the cache key, the ordering and the answer agree."""
    target = getattr(request, "_request", request)  # DRF's Request wraps Django's
    now = getattr(target, "ll2_clock", None)
    if now is None:
        now = target.ll2_clock = clock()
    return now


def grown(value, in_space, base, at, now):
    """``time_in_space`` as served at ``now``, from its stored columns."""
    if value is None or not in_space or at is None or base != value or now <= at:
        return value
    return value + (now - at)


def grown_expression(now):
    """``grown()`` in SQL, for ``?ordering=time_in_space``."""
    growing = Q(in_space=True, time_in_space_at__lt=now, time_in_space_base=F("time_in_space"))
    elapsed = ExpressionWrapper(Value(now) - F("time_in_space_at"), output_field=DurationField())
    return Case(
        When(growing, then=ExpressionWrapper(F("time_in_space") + elapsed, DurationField())),
        default=F("time_in_space"),
        output_field=DurationField(),
    )


# Orderings that read the clock, per (model name, field): the API orders by the served value.
CLOCK_ORDERINGS = {("Spacecraft", "time_in_space"): grown_expression}


class ClockDurationField(serializers.Field):
    """Mixin for a serializer field whose value grows with the clock (``time_in_space``).

    ``clock_columns`` are the model's columns ``grown()`` reads beside the
    field's own; the DRF path reads them from the instance, the fast renderer
    (``spacecraft.api.rendering``) selects them with the field's column.
    """

    clock_columns = CLOCK_COLUMNS

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        columns = [getattr(instance, name) for name in self.clock_columns]
        return self.grow(self.context.get("request"), value, *columns)

    def grow(self, request, value, *columns):
        if request is None or value is None:
            return value
        return grown(value, *columns, request_clock(request))


class GrowingDurationField(ClockDurationField, ISODurationField):
    """``time_in_space``: an ISO 8601 duration that grows while its spacecraft is in space."""


def renders_clock(serializer_class):
    """Whether ``serializer_class`` (or one it nests) has a field that grows with the clock."""
    return _renders_clock(serializer_class(), set())


def _renders_clock(serializer, seen):
    if type(serializer) in seen:
        return False
    seen.add(type(serializer))
    for field in serializer.fields.values():
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, ClockDurationField):
            return True
        if isinstance(field, serializers.Serializer) and _renders_clock(field, seen):
            return True
    return False
