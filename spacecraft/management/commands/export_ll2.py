"""Write the whole catalogue as LL2 2.3.0 detailed pages (``export_ll2 DIR``).

Each page is exactly what our API answers for
``/2.3.0/spacecraft/?limit=L&mode=detailed&offset=O``: the same queryset
(``selectors``), serializer, pagination and JSON renderer, with links built
for ``--base-url``. ``import_ll2 DIR/*.json`` (or ``--from`` a server that
serves them) loads the pages back, so an empty database importing an export
serves the same /2.3.0/spacecraft/ output as the database that exported it.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from spacecraft import selectors
from spacecraft.pagination import LL2Pagination
from spacecraft.serializers import SpacecraftDetailedSerializer

PAGE_FILE = "spacecraft-detailed-{:04d}.json"
PAGE_FILE_PATTERN = re.compile(r"spacecraft-detailed-\d{4,}\.json")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class PageRequest(HttpRequest):
    """The request our server would get for one page, at ``scheme://host``.

    The host is taken as given (not checked against ALLOWED_HOSTS): the
    export names the server the files will be served from, not this one.
    """

    def __init__(self, scheme, host, query):
        super().__init__()
        self.method = "GET"
        self.path = self.path_info = reverse("spacecraft-list")
        self.META["QUERY_STRING"] = query
        self.GET = QueryDict(query)
        self._page_scheme = scheme
        self._page_host = host

    def _get_scheme(self):
        return self._page_scheme

    def get_host(self):
        return self._page_host


def page_bytes(scheme, host, limit, offset, queryset):
    """One page as our API renders it, and the number of records in it."""
    params = {"limit": limit, "mode": "detailed"}
    if offset:
        params["offset"] = offset
    request = Request(PageRequest(scheme, host, urlencode(params)))
    paginator = LL2Pagination()
    records = paginator.paginate_queryset(queryset, request)
    serializer = SpacecraftDetailedSerializer(records, many=True, context={"request": request})
    page = paginator.get_paginated_response(serializer.data).data
    return JSONRenderer().render(page), len(records), paginator.count


def _base(url):
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise CommandError(
            f"--base-url must be a server's address like {DEFAULT_BASE_URL} "
            f"(scheme and host only), got {url!r}"
        )
    return parts.scheme, parts.netloc


def _write(path, data):
    """Writes ``data`` to ``path`` whole or not at all."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Write the whole spacecraft catalogue into DIR as LL2 2.3.0 pages in detailed mode "
        f"({PAGE_FILE.format(1)}, ...), exactly as /2.3.0/spacecraft/?mode=detailed serves "
        "them. Load them elsewhere with: import_ll2 DIR/*.json"
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument(
            "--limit",
            type=int,
            default=LL2Pagination.max_limit,
            metavar="N",
            help=f"records per page, 1 to {LL2Pagination.max_limit} "
            f"(default {LL2Pagination.max_limit}, as LL2's largest page)",
        )
        parser.add_argument(
            "--base-url",
            default=DEFAULT_BASE_URL,
            metavar="URL",
            help="the server the pages' next, previous and url links point to "
            f"(default {DEFAULT_BASE_URL})",
        )

    def handle(self, *args, directory, limit, base_url, **options):
        if not 1 <= limit <= LL2Pagination.max_limit:
            raise CommandError(f"--limit must be 1 to {LL2Pagination.max_limit}, got {limit}")
        scheme, host = _base(base_url)
        target = Path(directory)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"cannot create {target}: {error.strerror}") from None
        if not target.is_dir():
            raise CommandError(f"{target} is not a directory")
        written = []
        try:
            count = self._export(target, scheme, host, limit, written)
        except OSError as error:
            raise CommandError(f"cannot write into {target}: {error.strerror}") from None
        stale = [
            path
            for path in target.iterdir()
            if PAGE_FILE_PATTERN.fullmatch(path.name) and path.name not in written
        ]
        for path in stale:
            path.unlink()
        if options["verbosity"] > 0:
            self.stdout.write(
                f"Wrote {count} spacecraft in {len(written)} pages of up to {limit} to {target}"
                + (f" (removed {len(stale)} pages of an earlier export)" if stale else "")
                + "."
            )

    def _export(self, target, scheme, host, limit, written):
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                # One snapshot for every page, even while an import runs.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            queryset = selectors.queryset_for(SpacecraftDetailedSerializer)
            offset, number = 0, 1
            while True:
                data, size, count = page_bytes(scheme, host, limit, offset, queryset)
                name = PAGE_FILE.format(number)
                _write(target / name, data)
                written.append(name)
                offset += size
                if size == 0 or offset >= count:
                    return count
                number += 1
