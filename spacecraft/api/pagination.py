from rest_framework.pagination import LimitOffsetPagination


class LL2Pagination(LimitOffsetPagination):
    """LL2's limit/offset pagination.

    DRF's own behaviour already matches LL2's: a limit above ``max_limit`` is
    clamped, a non-numeric or non-positive one falls back to the default, a
    bad offset counts as 0, and ``next``/``previous`` are absolute with sorted
    query parameters (``previous`` drops ``offset`` when it would be 0).
    """

    default_limit = 10
    max_limit = 100
