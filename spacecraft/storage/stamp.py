"""The catalogue stamp: one random number that changes with every write.

Every write to the catalogue sets a new random stamp on the one
``CatalogueVersion`` row, in the writer's own transaction: model saves,
deletes and many-to-many changes through signals (the admin, ``loaddata``,
the shell), and the bulk importer by calling ``bump()``. The response cache
(``spacecraft.serving.cache``) keys its entries by it. Code that writes with
``QuerySet.update()``, ``bulk_create()`` or raw SQL sends no signals and must
call ``bump()`` itself.
"""

import secrets

from django.db import IntegrityError, connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from spacecraft.storage import sql

# Not catalogue data: writing them must not empty the cache.
UNVERSIONED_MODELS = {"catalogueversion", "mirrorcheckpoint", "apikey"}


def current_stamp():
    """The catalogue's stamp as committed now (0 before the first write).

    On an open persistent connection the query goes straight to the driver
    (``sql.read_stamp``): its success is the connection's health check for
    this request, which saves Django's own (a ``SELECT 1``, a second round
    trip on every cache hit). A connection found broken is closed and opened
    again, as Django's check would. Tests run this same code: the query is
    recorded where Django records its own when queries are logged.
    """
    raw = connection.connection
    if raw is not None:
        try:
            found = sql.read_stamp(raw)
        except connection.Database.Error:
            if connection.in_atomic_block:
                raise
            connection.close()
        else:
            connection.health_check_done = True
            return found
    connection.ensure_connection()
    with connection.wrap_database_errors:  # Django's errors, as its own cursor raises
        return sql.read_stamp(connection.connection)


def bump():
    """Give the catalogue a new stamp, in the caller's transaction if there is one."""
    from spacecraft.models import CatalogueVersion

    stamp = secrets.randbits(62)
    now = timezone.now()
    updated = CatalogueVersion.objects.filter(id=1).update(stamp=stamp, changed_at=now)
    if not updated:
        try:
            with transaction.atomic():
                CatalogueVersion.objects.create(id=1, stamp=stamp, changed_at=now)
        except IntegrityError:  # created meanwhile by a concurrent writer
            CatalogueVersion.objects.filter(id=1).update(stamp=stamp, changed_at=now)
    return stamp


def _versioned(sender):
    meta = getattr(sender, "_meta", None)
    return (
        meta is not None
        and meta.app_label == "spacecraft"
        and (meta.model_name not in UNVERSIONED_MODELS)
    )


def _on_write(sender, **kwargs):
    if _versioned(sender):
        bump()


def _on_m2m(sender, action, **kwargs):
    # ``sender`` is the through model; its app is the catalogue's.
    if action in ("post_add", "post_remove", "post_clear") and _versioned(sender):
        bump()


def connect_signals():
    post_save.connect(_on_write, dispatch_uid="spacecraft.storage.stamp.post_save")
    post_delete.connect(_on_write, dispatch_uid="spacecraft.storage.stamp.post_delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="spacecraft.storage.stamp.m2m_changed")
