"""Write the whole catalogue as LL2 2.3.0 detailed pages (``export_ll2 DIR``).

Each page is exactly what our API answers for
``/2.3.0/spacecraft/?limit=L&mode=detailed&offset=O`` (with each spacecraft's
flights) and, when there are flights,
``/2.3.0/spacecraft_flights/?limit=L&mode=detailed&offset=O`` (which alone
carry a detailed flight's crews and docking events) and, when there are
agencies, ``/2.3.0/agencies/?limit=L&mode=detailed&offset=O`` (which alone
carry an agency's launch and landing statistics): the same queryset
(``selectors``), serializer, pagination and JSON renderer, with links built
for ``--base-url``. ``import_ll2 DIR/*.json`` (or ``--from`` a server that
serves them) loads the pages back, so an empty database importing an export
serves the same /2.3.0/spacecraft/, /2.3.0/spacecraft_flights/ and
/2.3.0/agencies/ output as the database that exported it.
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

from spacecraft.api import views
from spacecraft.api.pagination import LL2Pagination
from spacecraft.ingest import words
from spacecraft.models import Agency, SpacecraftFlight

PAGE_FILE = "spacecraft-detailed-{:04d}.json"
FLIGHT_PAGE_FILE = "spacecraft_flights-detailed-{:04d}.json"
AGENCY_PAGE_FILE = "agencies-detailed-{:04d}.json"
PAGE_FILE_PATTERN = re.compile(r"(spacecraft|spacecraft_flights|agencies)-detailed-\d{4,}\.json")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class PageRequest(HttpRequest):
    """The request our server would get for one page, at ``scheme://host``.

    The host is taken as given (not checked against ALLOWED_HOSTS): the
    export names the server the files will be served from, not this one.
    """

    def __init__(self, scheme, host, query, view_name="spacecraft-list"):
        super().__init__()
        self.method = "GET"
        self.path = self.path_info = reverse(view_name)
        self.META["QUERY_STRING"] = query
        self.GET = QueryDict(query)
        self._page_scheme = scheme
        self._page_host = host

    def _get_scheme(self):
        return self._page_scheme

    def get_host(self):
        return self._page_host


# What is exported: (file name, list view, the viewset whose detailed form it is).
ENDPOINTS = {
    "spacecraft": (PAGE_FILE, "spacecraft-list", views.SpacecraftViewSet),
    "flights": (FLIGHT_PAGE_FILE, "spacecraftflight-list", views.SpacecraftFlightViewSet),
    "agencies": (AGENCY_PAGE_FILE, "agency-list", views.AgencyViewSet),
}


def page_bytes(scheme, host, limit, offset, queryset, endpoint="spacecraft"):
    """One page as our API renders it, and the number of records in it."""
    _, view_name, viewset = ENDPOINTS[endpoint]
    params = {"limit": limit, "mode": "detailed"}
    if offset:
        params["offset"] = offset
    request = Request(PageRequest(scheme, host, urlencode(params), view_name))
    paginator = LL2Pagination()
    records = paginator.paginate_queryset(queryset, request)
    serializer_class = viewset.representations["detailed"]
    serializer = serializer_class(records, many=True, context={"request": request})
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
        f"them, with the flights' ({FLIGHT_PAGE_FILE.format(1)}, ...) and the agencies' "
        f"({AGENCY_PAGE_FILE.format(1)}, ...). Load them elsewhere with: import_ll2 DIR/*.json"
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
            exported = self._export(target, scheme, host, limit, written)
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
            (count, pages), *others = exported
            spacecraft = words.count(count, "spacecraft")
            parts = [f"{spacecraft} in {words.count(pages, 'page')} of up to {limit}"]
            parts += [
                f"{words.count(records, what)} in {words.count(number, 'page')}"
                for what, records, number in others
            ]
            listed = f"{', '.join(parts[:-1])} and {parts[-1]}" if others else parts[0]
            self.stdout.write(
                f"Wrote {listed} to {target}"
                + (
                    f" (removed {words.count(len(stale), 'page')} of an earlier export)"
                    if stale
                    else ""
                )
                + "."
            )

    def _export(self, target, scheme, host, limit, written):
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                # One snapshot for every page, even while an import runs.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            queryset = views.SpacecraftViewSet().queryset_for("detailed")
            count = self._pages(target, scheme, host, limit, queryset, "spacecraft", written)
            exported = [(count, len(written))]
            # The other lists, when they have records: (what, records, pages).
            for endpoint, model, what in (
                ("flights", SpacecraftFlight, "flight"),
                ("agencies", Agency, "agency"),
            ):
                if not model.objects.exists():
                    continue
                before = len(written)
                queryset = ENDPOINTS[endpoint][2]().queryset_for("detailed")
                records = self._pages(target, scheme, host, limit, queryset, endpoint, written)
                exported.append((what, records, len(written) - before))
            return exported

    def _pages(self, target, scheme, host, limit, queryset, endpoint, written):
        """Write every page of ``endpoint``; the number of records."""
        offset, number = 0, 1
        while True:
            data, size, count = page_bytes(scheme, host, limit, offset, queryset, endpoint)
            name = ENDPOINTS[endpoint][0].format(number)
            _write(target / name, data)
            written.append(name)
            offset += size
            if size == 0 or offset >= count:
                return count
            number += 1
