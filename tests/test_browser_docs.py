"""``/docs/`` in a real browser: Swagger UI from this server's own static files, every
operation of the OpenAPI document listed, and "Try it out" answering 200; every
request to another host is intercepted, refused and fails the test (tests/browser.py).
"""

from urllib.parse import urlsplit

import pytest

from spacecraft.api import urls

from .browser import screenshot

# Each starts its servers (gunicorn, runserver) and a browser.
pytestmark = pytest.mark.server

METHODS = {"get", "head", "post", "put", "patch", "delete", "options", "trace"}


def operations(site):
    document = site.get_json("/2.3.0/schema/?format=json")
    return sorted(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    )


def test_docs_page_lists_every_operation_from_its_own_static_files(page, site):
    page.watch.intercept()  # a request to any other host is refused, and fails the test
    loaded = []
    page.on("requestfinished", lambda request: loaded.append(request.url))
    response = page.goto("/docs/")
    assert response.status == 200
    page.wait_for_selector(".opblock")
    page.wait_for_load_state("networkidle")
    blocks = page.locator(".opblock")
    shown = sorted(
        (
            blocks.nth(i).locator(".opblock-summary-method").inner_text(),
            blocks.nth(i).locator(".opblock-summary-path").get_attribute("data-path"),
        )
        for i in range(blocks.count())
    )
    assert shown == operations(site)
    # a list and a detail for each endpoint of the router, and /2.3.0/api-throttle/
    assert len(shown) == 2 * len(urls.router.registry) + 1
    # Swagger UI's script and styles came from this server, and nothing from anywhere else.
    assert page.watch.foreign == []
    assert {urlsplit(url).netloc for url in loaded} == {urlsplit(site.url).netloc}
    assets = [urlsplit(url).path for url in loaded]
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in assets
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in assets
    screenshot(page, "docs")


def test_try_it_out_on_the_spacecraft_list_answers_200(page, site):
    page.watch.intercept()
    page.goto("/docs/")
    block = page.locator('.opblock:has(.opblock-summary-path[data-path="/2.3.0/spacecraft/"])')
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    with page.expect_response(lambda r: urlsplit(r.url).path == "/2.3.0/spacecraft/") as answer:
        block.locator("button.execute").click()
    assert answer.value.status == 200
    assert answer.value.json() == site.get_json("/2.3.0/spacecraft/")
    status = block.locator(".live-responses-table .response .response-col_status")
    assert status.inner_text().strip() == "200"
