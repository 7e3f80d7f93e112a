"""CORS: listed browser origins get their preflight answered (before authentication) and CORS headers on
responses; any other origin, and every origin when the setting is empty, gets none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from rapport.app import create_app
from rapport.settings import Settings, SettingsError, load_settings
from tests.support.graphql import bearer, make_agent

APP_ORIGIN = "https://app.example.com"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
VIEWER = {"query": "{ viewer { agent { email } } }"}


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.lower().startswith("access-control-")}


@pytest.fixture
async def browser_http(settings: Settings, orm: None) -> AsyncIterator[httpx.AsyncClient]:
    """The app with two allowed origins, written as an operator might (case, default port, spaces)."""
    allowed = type(settings)(
        **{**settings.model_dump(), "cors_origins": " HTTPS://App.Example.com:443 , http://localhost:5173"}
    )
    app = create_app(allowed, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.test") as client:
        yield client


@pytest.mark.parametrize("origin", [APP_ORIGIN, "http://localhost:5173"])
async def test_a_preflight_from_an_allowed_origin_is_answered_without_a_token(browser_http, origin) -> None:
    response = await browser_http.options("/graphql", headers={"Origin": origin, **PREFLIGHT})
    assert response.status_code == 200  # not 401: a browser sends no token with a preflight
    headers = cors_headers(response)
    assert headers["access-control-allow-origin"] == origin
    assert "POST" in headers["access-control-allow-methods"]
    allowed_headers = {name.strip().lower() for name in headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed_headers
    assert headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in headers


async def test_a_request_from_an_allowed_origin_carries_the_origin(db, browser_http, settings) -> None:
    agent = await make_agent("rep@example.com")
    response = await browser_http.post("/graphql", json=VIEWER, headers={"Origin": APP_ORIGIN, **bearer(agent, settings)})
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["agent"]["email"] == "rep@example.com"
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed and "retry-after" in exposed
    # A refusal is readable by the app too (it can tell a 401 from a network error).
    refused = await browser_http.post("/graphql", json=VIEWER, headers={"Origin": APP_ORIGIN})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == APP_ORIGIN


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "https://app.example.com.evil.com",  # a suffix is not the origin
        "http://app.example.com",  # another scheme is another origin
        "https://app.example.com:8443",  # and another port
        "https://APP.example.com",  # browsers send lower case; the list holds exactly that
        "null",  # sandboxed frames and file:// pages
    ],
)
async def test_any_other_origin_gets_no_cors_headers(db, browser_http, settings, origin) -> None:
    agent = await make_agent("rep@example.com")
    preflight = await browser_http.options("/graphql", headers={"Origin": origin, **PREFLIGHT})
    assert cors_headers(preflight) == {}
    assert preflight.status_code == 401  # it went on to authentication like any request without a token
    response = await browser_http.post("/graphql", json=VIEWER, headers={"Origin": origin, **bearer(agent, settings)})
    assert response.status_code == 200 and cors_headers(response) == {}


async def test_without_an_origin_header_nothing_changes(db, browser_http, settings) -> None:
    agent = await make_agent("rep@example.com")
    response = await browser_http.post("/graphql", json=VIEWER, headers=bearer(agent, settings))
    assert response.status_code == 200 and cors_headers(response) == {}
    assert "origin" not in response.headers.get("vary", "").lower()


async def test_no_origins_configured_means_no_cors_headers_anywhere(db, http, settings) -> None:
    assert settings.cors_origins == ""  # the default
    agent = await make_agent("rep@example.com")
    preflight = await http.options("/graphql", headers={"Origin": APP_ORIGIN, **PREFLIGHT})
    assert preflight.status_code == 401 and cors_headers(preflight) == {}
    response = await http.post("/graphql", json=VIEWER, headers={"Origin": APP_ORIGIN, **bearer(agent, settings)})
    assert response.status_code == 200 and cors_headers(response) == {}
    health = await http.get("/healthz", headers={"Origin": APP_ORIGIN})
    assert cors_headers(health) == {}


# ---------------------------------------------------------------- RAPPORT_CORS_ORIGINS at start-up


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("*", "'*' is not accepted"),
        ("https://app.example.com/", "without user, path, query or fragment"),
        ("https://app.example.com/graphql", "without user, path, query or fragment"),
        ("https://user@app.example.com", "without user, path, query or fragment"),
        ("app.example.com", "starts with http:// or https://"),
        ("ftp://app.example.com", "starts with http:// or https://"),
        ("https://app.example.com:99999", "the port is not a number"),
        ("https://app_example.com", "is not a host name or IP address"),
        ("https://app.example.com\n.evil.com", "printable ASCII"),
        ("https://bücher.example", "punycode"),
    ],
)
def test_a_bad_origin_stops_the_start_with_one_line(clean_env, value, expected) -> None:
    clean_env.setenv("RAPPORT_CORS_ORIGINS", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("RAPPORT_CORS_ORIGINS: ") and expected in message and "\n" not in message


def test_origins_are_kept_as_browsers_send_them(clean_env) -> None:
    clean_env.setenv("RAPPORT_CORS_ORIGINS", "HTTPS://App.Example.com:443, http://localhost:5173,,http://[::1]:80 ,http://10.0.0.5:8080")
    assert load_settings().cors_origin_set == {"https://app.example.com", "http://localhost:5173", "http://[::1]", "http://10.0.0.5:8080"}


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("htps:/[]1:.aA-_é *@?#%\t,0x98"), max_size=40) | st.text(max_size=30))
def test_any_value_is_refused_in_one_line_or_becomes_exact_origins(value) -> None:
    try:
        origins = Settings(cors_origins=value).cors_origin_set
    except ValueError as exc:  # pydantic's ValidationError; load_settings turns it into one line
        assert "cors_origins" in str(exc)
        return
    for origin in origins:
        parts = urlsplit(origin)
        assert parts.scheme in {"http", "https"} and not (parts.path or parts.query or parts.fragment or parts.username)
        assert origin == origin.lower() and parts.port not in {80 if parts.scheme == "http" else 443}
        assert Settings(cors_origins=origin).cors_origin_set == {origin}  # normalising is idempotent
