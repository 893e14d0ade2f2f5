"""API keys (``Authorization: Token <key>``) and LL2's ``/2.3.0/api-throttle/``.

Keys are made in the admin and by ``manage.py api_key``, shown once and stored as a
digest; a keyed caller is counted by key at its own rate, an anonymous one by
address. ``/api-throttle/`` answers LL2's five keys for the caller, counts nothing,
is always allowed and never cached. The clock is set (``throttling.clock``) so that
every figure is exact: windows are aligned on the Unix epoch, and ``NOW`` is 1,029 s
into an hour (2,571 s left), 9 s into a minute (51 s left).
"""

import hashlib
import io
import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from spacecraft import rates
from spacecraft.api import throttling
from spacecraft.models import APIKey
from spacecraft.serving import cache as response_cache

from .conftest import csrf_token, load_seed
from .schema import validator

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

NOW = 1_800_000_000 + 1029  # 1,800,000,000 is a whole number of days
LEFT_IN_HOUR = 3600 - 1029
LEFT_IN_MINUTE = 60 - 9
URL = "/2.3.0/spacecraft/"
THROTTLE = "/2.3.0/api-throttle/"
ADDRESS = "10.40.0.1"


@pytest.fixture(autouse=True)
def counters(settings, monkeypatch):
    """Counts in a local-memory cache of this test's own, at a fixed time."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"keys-{uuid.uuid4()}",
        }
    }
    monkeypatch.setattr(throttling, "clock", lambda: NOW)


def call(api, path=URL, key=None, address=ADDRESS, **params):
    extra = {"HTTP_AUTHORIZATION": f"Token {key}"} if key else {}
    return api.get(path, {"format": "json", **params}, REMOTE_ADDR=address, **extra)


def figures(api, key=None, address=ADDRESS):
    response = call(api, THROTTLE, key=key, address=address)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.json()


def throttled_body(wait):
    return {"detail": f"Request was throttled. Expected available in {wait} seconds."}


# --- storage ----------------------------------------------------------------------------


def test_a_key_is_stored_only_as_its_digest(db):
    api_key, key = APIKey.issue("mirror-app")
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    row = APIKey.objects.filter(pk=api_key.pk).values().get()
    assert row["digest"] == hashlib.sha256(key.encode()).hexdigest()
    assert row["prefix"] == key[:8]
    assert all(key not in str(value) for value in row.values())
    assert APIKey.find(key) == api_key
    assert APIKey.find(key[:-1] + ("0" if key[-1] != "0" else "1")) is None
    # Two keys are never the same.
    assert APIKey.issue("other-app")[1] != key


def test_a_key_rate_must_be_a_rate(db):
    with pytest.raises(ValidationError) as error:
        APIKey.issue("bad", rate="lots")
    assert error.value.message_dict == {
        "rate": ["'lots' is not '<requests>/<second|minute|hour|day>', e.g. '15/hour'."]
    }
    assert not APIKey.objects.exists()


def test_rate_settings_are_checked_by_the_same_rule():
    assert rates.setting("API_THROTTLE_KEY", " 1000/hour ") == "1000/hour"
    assert rates.setting("API_THROTTLE_KEY", "") is None
    assert rates.parse("100/h") == (100, 3600) and rates.parse("3/minute") == (3, 60)
    with pytest.raises(ValueError) as error:
        rates.setting("API_THROTTLE_KEY", "0/hour")
    assert str(error.value) == (
        "API_THROTTLE_KEY='0/hour' is not '<requests>/<second|minute|hour|day>', e.g. '15/hour'."
    )


def test_saving_a_key_does_not_empty_the_response_cache(seeded, api, response_cache):
    first = call(api)
    before = len(response_cache_entries())
    APIKey.issue("cache-friendly")
    again = call(api)
    assert again.content == first.content
    assert len(response_cache_entries()) == before  # the same entry served, none added


def response_cache_entries():
    return list(response_cache.store.local.entries)


# --- /api-throttle/ ---------------------------------------------------------------------


def test_api_throttle_answers_ll2s_five_keys_for_an_anonymous_caller(seeded, api, settings):
    settings.API_THROTTLE_ANON = "15/hour"
    for _ in range(3):
        assert call(api, address="127.0.0.1").status_code == 200
    response = call(api, THROTTLE, address="127.0.0.1")
    # The issue's example, byte for byte (LL2's compact JSON, LL2's key order).
    assert response.content == (
        b'{"your_request_limit":15,"limit_frequency_secs":3600,"current_use":3,'
        b'"next_use_secs":0,"ident":"127.0.0.1"}'
    )
    assert response["Content-Type"] == "application/json"


def test_api_throttle_for_a_keyed_caller_shows_the_keys_figures(seeded, api, settings):
    settings.API_THROTTLE_ANON = "15/hour"
    settings.API_THROTTLE_KEY = "300/hour"
    _, key = APIKey.issue("home-dashboard")
    for _ in range(4):
        assert call(api, key=key).status_code == 200
    assert figures(api, key=key) == {
        "your_request_limit": 300,
        "limit_frequency_secs": 3600,
        "current_use": 4,
        "next_use_secs": 0,
        "ident": "home-dashboard",
    }
    # The address the key was used from has used none of its own calls.
    assert figures(api) == {
        "your_request_limit": 15,
        "limit_frequency_secs": 3600,
        "current_use": 0,
        "next_use_secs": 0,
        "ident": ADDRESS,
    }


def test_api_throttle_is_always_allowed_and_counts_nothing(seeded, api, settings):
    settings.API_THROTTLE_ANON = "2/minute"
    assert [call(api).status_code for _ in range(3)] == [200, 200, 429]
    used_up = {
        "your_request_limit": 2,
        "limit_frequency_secs": 60,
        "current_use": 2,
        "next_use_secs": LEFT_IN_MINUTE,
        "ident": ADDRESS,
    }
    for _ in range(5):
        assert figures(api) == used_up
    # Another address has its whole budget, and asking did not use any of it.
    for _ in range(5):
        assert figures(api, address="10.40.0.2")["current_use"] == 0
    assert [call(api, address="10.40.0.2").status_code for _ in range(3)] == [200, 200, 429]


def test_api_throttle_without_a_rate_says_unlimited(db, api, settings):
    assert settings.API_THROTTLE_ANON is None and settings.API_THROTTLE_KEY is None
    _, key = APIKey.issue("no-limit")
    for caller, ident in ((None, ADDRESS), (key, "no-limit")):
        assert figures(api, key=caller) == {
            "your_request_limit": 2147483647,
            "limit_frequency_secs": 0,
            "current_use": 0,
            "next_use_secs": 0,
            "ident": ident,
        }


def test_api_throttle_is_never_cached(seeded, api, settings, response_cache):
    settings.API_THROTTLE_ANON = "15/hour"
    uses = []
    for _ in range(3):
        uses.append(figures(api)["current_use"])
        assert call(api).status_code == 200
    assert uses == [0, 1, 2]
    # Only the spacecraft page is in the response cache.
    assert len(response_cache_entries()) == 1
    assert "ETag" not in call(api, THROTTLE)


def test_api_throttle_behind_a_proxy_names_the_forwarded_client(db, api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    response = api.get(
        THROTTLE, {"format": "json"}, REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert response.json()["ident"] == "203.0.113.9"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    response = api.get(
        THROTTLE, {"format": "json"}, REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert response.json()["ident"] == ADDRESS


def test_api_throttle_answers_head_and_refuses_other_methods(db, api):
    assert api.head(THROTTLE, REMOTE_ADDR=ADDRESS).status_code == 200
    response = api.post(f"{THROTTLE}?format=json", REMOTE_ADDR=ADDRESS)
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}
    assert response["Allow"] == "GET"


def test_api_throttle_in_the_browsable_api(db, api):
    response = api.get(THROTTLE, HTTP_ACCEPT="text/html", REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "your_request_limit" in html and "Authorization: Token &lt;key&gt;" in html


# --- refused keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Token 0123456789abcdef0123456789abcdef01234567", "Invalid token."),
        ("Token", "Invalid token header. No credentials provided."),
        ("Token two parts", "Invalid token header. Token string should not contain spaces."),
        ("token 0123456789abcdef0123456789abcdef01234567", "Invalid token."),
    ],
)
def test_an_unknown_or_malformed_key_is_a_401(seeded, api, header, message, response_cache):
    for path in (URL, f"{URL}1/", THROTTLE, "/2.3.0/agencies/"):
        for _ in range(2):  # a cached answer is no way round it
            call(api, path)
            response = api.get(
                path, {"format": "json"}, HTTP_AUTHORIZATION=header, REMOTE_ADDR=ADDRESS
            )
            assert response.status_code == 401, path
            assert response.json() == {"detail": message}
            assert response["WWW-Authenticate"] == "Token"


def test_other_schemes_are_anonymous(seeded, api):
    response = api.get(URL, {"format": "json"}, HTTP_AUTHORIZATION="Bearer abc")
    assert response.status_code == 200


def test_a_revoked_key_is_a_401_even_for_a_cached_answer(seeded, api, response_cache):
    api_key, key = APIKey.issue("old-app")
    assert call(api, key=key).status_code == 200
    assert call(api, key=key).status_code == 200  # from the cache
    api_key.revoke()
    for path in (URL, THROTTLE):
        response = call(api, path, key=key)
        assert response.status_code == 401
        assert response.json() == {"detail": "This API key has been revoked."}
    assert call(api).status_code == 200  # the page itself is still served
    api_key.delete()
    assert call(api, key=key).json() == {"detail": "Invalid token."}


# --- rates ------------------------------------------------------------------------------


def test_each_key_has_its_own_rate_and_budget(seeded, api, settings):
    settings.API_THROTTLE_ANON = "1/hour"
    settings.API_THROTTLE_KEY = "3/hour"
    _, default_key = APIKey.issue("default-rate")
    _, own_key = APIKey.issue("own-rate", rate="5/minute")
    assert [call(api).status_code for _ in range(2)] == [200, 429]
    assert [call(api, key=default_key).status_code for _ in range(4)] == [200] * 3 + [429]
    assert [call(api, key=own_key).status_code for _ in range(6)] == [200] * 5 + [429]
    over = call(api, key=own_key)
    assert over.json() == throttled_body(LEFT_IN_MINUTE)
    assert over["Retry-After"] == str(LEFT_IN_MINUTE)
    over = call(api, key=default_key)
    assert over.json() == throttled_body(LEFT_IN_HOUR)
    assert over["Retry-After"] == str(LEFT_IN_HOUR)
    # The key is the caller, wherever it calls from.
    assert call(api, key=default_key, address="10.40.0.3").status_code == 429
    assert figures(api, key=own_key)["current_use"] == 5


def test_keyed_callers_are_unlimited_without_a_key_rate(seeded, api, settings):
    settings.API_THROTTLE_ANON = "1/hour"
    _, key = APIKey.issue("trusted")
    assert [call(api, key=key).status_code for _ in range(5)] == [200] * 5
    assert call(api).status_code == 200
    assert call(api).status_code == 429


def test_a_key_answer_is_the_same_bytes_and_parses_as_ll2s(seeded, api):
    _, key = APIKey.issue("parser")
    keyed, anonymous = call(api, key=key, limit=20), call(api, limit=20)
    assert keyed.status_code == anonymous.status_code == 200
    assert keyed.content == anonymous.content
    page = validator("PaginatedPolymorphicSpacecraftEndpointList")
    assert list(page.iter_errors(keyed.json())) == []
    assert list(page.iter_errors(load_seed("ll"))) == []


# --- the admin --------------------------------------------------------------------------


def test_the_admin_adds_a_key_and_shows_it_once(editor, api):  # noqa: F811
    add = reverse("admin:spacecraft_apikey_add")
    page = editor.get(add)
    assert page.status_code == 200
    response = editor.post(
        add, {"name": "admin-made", "rate": "100/hour", "csrfmiddlewaretoken": csrf_token(page)}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(r'<code id="api-key">([0-9a-f]{40})</code>', response.content.decode())[1]
    api_key = APIKey.objects.get()
    assert (api_key.name, api_key.rate, api_key.prefix) == ("admin-made", "100/hour", key[:8])
    assert api_key.digest == hashlib.sha256(key.encode()).hexdigest()
    assert figures(api, key=key)["ident"] == "admin-made"
    change = editor.get(reverse("admin:spacecraft_apikey_change", args=[api_key.pk]))
    listing = editor.get(reverse("admin:spacecraft_apikey_changelist"))
    for shown in (change, listing):
        assert shown.status_code == 200
        assert key not in shown.content.decode() and key[:8] in shown.content.decode()


def test_the_admin_refuses_a_bad_rate(editor):  # noqa: F811
    add = reverse("admin:spacecraft_apikey_add")
    page = editor.get(add)
    response = editor.post(
        add, {"name": "x", "rate": "fast", "csrfmiddlewaretoken": csrf_token(page)}
    )
    assert response.status_code == 200
    assert "is not &#x27;&lt;requests&gt;/" in response.content.decode()
    assert not APIKey.objects.exists()


def test_the_admin_revokes_keys(editor, api):  # noqa: F811
    first, first_key = APIKey.issue("first")
    _, second_key = APIKey.issue("second")
    listing = reverse("admin:spacecraft_apikey_changelist")
    page = editor.get(listing)
    response = editor.post(
        listing,
        {
            "action": "revoke",
            "_selected_action": [first.pk],
            "csrfmiddlewaretoken": csrf_token(page),
        },
    )
    assert response.status_code == 302
    assert call(api, THROTTLE, key=first_key).json() == {"detail": "This API key has been revoked."}
    assert call(api, THROTTLE, key=second_key).status_code == 200
    first.refresh_from_db()
    assert first.revoked_at is not None


# --- the management command ----------------------------------------------------------------


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("api_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_creates_lists_and_revokes_keys(db, api):
    out, err = run("create", "cli-app", "--rate", "60/minute")
    key = out.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    assert "shown only this once" in err
    assert figures(api, key=key) == {
        "your_request_limit": 60,
        "limit_frequency_secs": 60,
        "current_use": 0,
        "next_use_secs": 0,
        "ident": "cli-app",
    }
    created = APIKey.objects.get().created_at.isoformat()
    assert run("list") == (f"cli-app\t{key[:8]}...\t60/minute\tcreated {created}\tactive\n", "")
    assert run("revoke", "cli-app") == ("API key 'cli-app' revoked.\n", "")
    assert call(api, THROTTLE, key=key).status_code == 401
    revoked = APIKey.objects.get().revoked_at.isoformat()
    assert (
        run("list")[0]
        == f"cli-app\t{key[:8]}...\t60/minute\tcreated {created}\trevoked {revoked}\n"
    )
    assert key not in run("list")[0]


def test_the_command_refuses_what_it_cannot_do(db):
    run("create", "taken")
    with pytest.raises(CommandError, match="name: API key with this Name already exists."):
        run("create", "taken")
    with pytest.raises(CommandError, match=r"rate: 'often' is not"):
        run("create", "other", "--rate", "often")
    with pytest.raises(CommandError, match="No API key named 'missing'."):
        run("revoke", "missing")
    run("revoke", "taken")
    with pytest.raises(CommandError, match="was already revoked"):
        run("revoke", "taken")
    assert list(APIKey.objects.values_list("name", flat=True)) == ["taken"]
