"""Querysets with their joins and their order, one per representation.

The joins are read from the serializer (``shape.keys``), so they cannot
drift from what it renders: a nested object (a forward foreign key) is
joined with ``select_related``, with the joins its own serializer needs; a
list (``many=True``) is a ``Prefetch`` whose queryset is the listed
serializer's own, in its model's order (by id; a spacecraft's flights by
launch date, then id), so nested lists come out in the same order on every
database; a stored document (``launch.document``) is joined with its row.
The number of queries of each queryset is fixed by its representation,
never by its rows.

These are the querysets of the DRF serializer path (the browsable API, and
any representation ``rendering.py`` cannot compile); JSON answers read their
rows through ``rendering.py``'s plan, compiled from the same serializers.
"""

import functools

from django.db.models import Prefetch

from spacecraft import shape

LISTS = (shape.MANY, shape.CHILDREN, shape.BACK_REFERENCE)


def queryset_for(serializer_class):
    """All the objects ``serializer_class`` renders, with its joins, in its model's order
    (``Meta.ordering``: by id, or a flight's launch date then id)."""
    related, lists = joins(serializer_class)
    prefetches = [Prefetch(path, queryset=queryset_for(listed)) for path, listed in lists]
    model = shape.model_of(serializer_class)
    queryset = model._default_manager.all()
    if related:  # (without paths, select_related() would follow every foreign key)
        queryset = queryset.select_related(*related)
    return queryset.prefetch_related(*prefetches).order_by(*model._meta.ordering)


def rows_of(serializer_class):
    """The objects ``serializer_class`` renders, in its model's order, with no joins: what the
    fast path filters, counts and pages (``rendering.py`` reads the joined rows by id)."""
    model = shape.model_of(serializer_class)
    return model._default_manager.order_by(*model._meta.ordering)


@functools.cache
def joins(serializer_class):
    """What ``serializer_class`` needs: its ``select_related`` paths, and the
    (path, serializer class) of each list it prefetches."""
    related, lists = [], []
    _walk(serializer_class, "", related, lists)
    return tuple(related), tuple(lists)


def _walk(serializer_class, path, related, lists):
    for key in shape.keys(serializer_class):
        if key.reads == shape.FOREIGN_KEY:
            nested = f"{path}{key.source}"
            related.append(nested)
            _walk(key.nested, f"{nested}__", related, lists)
        elif key.reads == shape.DOCUMENT and key.model_field.is_relation:
            related.append(f"{path}{key.source}")
        elif key.reads in LISTS:
            lists.append((f"{path}{key.source}", key.nested))
