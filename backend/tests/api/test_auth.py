"""Accounts: the gate on every route, sign-in, sessions, tokens, CSRF, proxy header, audit."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.core.auth import PUBLIC_ROUTES, SESSION_COOKIE, route_access, route_table
from app.core.db import utcnow
from app.main import create_app
from app.models.user import ApiToken, AuthSession, User
from tests.conftest import (
    ADMIN_NAME,
    ADMIN_PASSWORD,
    assert_no_leak,
    bearer_for,
    captured_logs,
    make_settings,
    make_user,
    register_canary,
    signed_in,
)

ORIGIN = "http://127.0.0.1:3000"  # PUBLIC_URL's default


@contextmanager
def _second(client: TestClient) -> Iterator[TestClient]:
    """Another client of an app whose lifespan a fixture's client already runs (no second lifespan)."""
    try:
        yield client
    finally:
        client.close()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _api_routes(app: Any) -> list[tuple[str, str, Any]]:
    found = []
    for route in route_table(app):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append((method, route.path, route))
    return found


def _login(client: TestClient, username: str = ADMIN_NAME, password: str = ADMIN_PASSWORD, **kw: Any) -> Any:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password}, **kw)


# -- the gate --------------------------------------------------------------------------


def test_every_route_is_public_by_the_list_or_refuses_without_credentials(app, anon_client) -> None:
    routes = _api_routes(app)
    protected = 0
    for method, path, route in routes:
        access = route_access(route, method)
        if access == "public":
            assert (method, path) in PUBLIC_ROUTES, f"{method} {path} is public without being listed"
            continue
        protected += 1
        response = anon_client.request(method, _concrete(path), json={})
        assert response.status_code == 401, f"{method} {path} answered {response.status_code} without credentials"
        assert response.json()["code"] == "not_authenticated"
    # Every listed public route exists (a renamed route cannot stay listed unnoticed).
    assert {(m, p) for m, p, _ in routes} >= PUBLIC_ROUTES
    assert protected > 30


def test_a_new_route_without_a_marker_is_admin_only(settings) -> None:
    app = create_app(settings)

    @app.get("/api/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {"open": "yes"}

    with _second(TestClient(app)) as anon:
        assert anon.get("/api/v1/forgotten").status_code == 401
    with _second(signed_in(app, username="viewer-1", role="viewer")) as viewer:
        assert viewer.get("/api/v1/forgotten").status_code == 403
    with _second(signed_in(app)) as admin:
        assert admin.get("/api/v1/forgotten").json() == {"open": "yes"}


def test_a_viewer_is_refused_every_admin_route(app) -> None:
    with _second(signed_in(app, username="viewer-2", role="viewer")) as viewer:
        refused = 0
        for method, path, route in _api_routes(app):
            if route_access(route, method) != "admin":
                continue
            response = viewer.request(method, _concrete(path), json={})
            assert response.status_code == 403, f"{method} {path} answered {response.status_code} to a viewer"
            assert response.json()["code"] == "forbidden"
            refused += 1
        assert refused > 25


def test_a_viewer_reads_events_notifications_and_camera_names_only(app, client, canary) -> None:
    password = canary("camera-password")
    created = client.post(
        "/api/v1/cameras",
        json={
            "name": "Porch",
            "type": "rtsp",
            "rtsp_url": "rtsp://127.0.0.1:8554/live",
            "username": "u",
            "password": password,
        },
    )
    assert created.status_code == 201, created.text
    with _second(signed_in(app, username="viewer-3", role="viewer")) as viewer:
        cameras = viewer.get("/api/v1/cameras")
        assert cameras.status_code == 200
        assert cameras.json() == [
            {
                **{k: created.json()[k] for k in ("id", "name", "type", "is_enabled", "created_at", "updated_at")},
                "last_test": None,  # its state: never tested
                "snapshot_url": None,
            }
        ]
        one = viewer.get(f"/api/v1/cameras/{created.json()['id']}").json()
        assert "rtsp_url" not in one and "username" not in one and "password" not in one
        assert viewer.get("/api/v1/events").status_code == 200
        assert viewer.get("/api/v1/notifications").status_code == 200
        assert viewer.post("/api/v1/notifications/mark-all-read").status_code == 200
        assert viewer.get("/api/v1/settings").status_code == 403
        assert viewer.get("/api/v1/alert-rules").status_code == 403
        assert viewer.post("/api/v1/events", json={"description": "x"}).status_code == 403
        assert_no_leak(password, cameras, one)


# -- setup -----------------------------------------------------------------------------


def test_first_run_setup_creates_the_owner_then_closes(app, anon_client, canary) -> None:
    assert anon_client.get("/api/v1/auth/status").json() == {"setup_required": True}
    password = canary("owner-password")
    weak = anon_client.post("/api/v1/auth/setup", json={"username": "owner", "password": "password1234"})
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "password"
    short = anon_client.post("/api/v1/auth/setup", json={"username": "owner", "password": "short"})
    assert short.status_code == 422 and "12 characters" in short.json()["detail"]

    done = anon_client.post("/api/v1/auth/setup", json={"username": "owner", "password": password})
    assert done.status_code == 201, done.text
    assert done.json()["user"] == {"id": done.json()["user"]["id"], "username": "owner", "role": "admin"}
    assert SESSION_COOKIE in done.cookies
    register_canary(done.json()["access_token"])
    assert anon_client.get("/api/v1/auth/me").json()["username"] == "owner"  # signed in by the cookie

    assert anon_client.get("/api/v1/auth/status").json() == {"setup_required": False}
    again = TestClient(app).post("/api/v1/auth/setup", json={"username": "intruder", "password": canary("x")})
    assert again.status_code == 409 and again.json()["code"] == "setup_done"
    assert_no_leak(password, done, again, weak)


def test_admin_from_the_environment_at_start(db_path: Path, canary) -> None:
    password = canary("env-admin")
    app = create_app(make_settings(f"sqlite:///{db_path}", admin_username="house", admin_password=password))
    with _second(TestClient(app)) as client:
        assert _login(client, "house", password).status_code == 200
    # A second start with another password changes nothing: the user exists.
    other = canary("env-admin-2")
    app = create_app(make_settings(f"sqlite:///{db_path}", admin_username="house", admin_password=other))
    with _second(TestClient(app)) as client:
        assert _login(client, "house", other).status_code == 401
    assert_no_leak(password, db_path)


def test_admin_password_file_and_a_refused_password(tmp_path: Path, db_path: Path, canary) -> None:
    from app.core.keys import StartupError
    from app.startup import prepare_database

    secret = tmp_path / "admin_password"
    password = canary("file-admin")
    secret.write_text(password + "\n")
    app = create_app(make_settings(f"sqlite:///{db_path}", admin_password_file=str(secret)))
    with _second(TestClient(app)) as client:
        assert _login(client, "admin", password).status_code == 200
    weak_db = tmp_path / "weak.db"
    with pytest.raises(StartupError, match="ADMIN_PASSWORD is refused"):
        prepare_database(make_settings(f"sqlite:///{weak_db}", admin_password="123456789012"))


# -- login, sessions -------------------------------------------------------------------


def test_login_sets_an_httponly_lax_cookie_and_logout_ends_the_session(app, anon_client) -> None:
    make_user(app)
    response = _login(anon_client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["access_token"].startswith("loac_s_")
    register_canary(body["access_token"])
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" not in cookie
    assert body["expires_at"].endswith("Z")

    assert anon_client.get("/api/v1/auth/me").json()["auth"] == "session"
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    with _second(TestClient(app)) as other:
        assert other.get("/api/v1/settings", headers=bearer).status_code == 200
        assert anon_client.post("/api/v1/auth/logout", headers={"Origin": ORIGIN}).status_code == 204
        assert other.get("/api/v1/settings", headers=bearer).status_code == 401
    assert anon_client.get("/api/v1/auth/me").status_code == 401


def test_secure_cookie_behind_an_https_proxy(settings, db_path) -> None:
    app = create_app(make_settings(f"sqlite:///{db_path}", trusted_proxies=["127.0.0.0/8", "testclient"]))
    make_user(app)
    with _second(TestClient(app, client=("127.0.0.1", 5000))) as client:
        response = _login(client, headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in response.headers["set-cookie"]
    with _second(TestClient(app, client=("198.51.100.4", 5000))) as client:
        response = _login(client, headers={"X-Forwarded-Proto": "https"})
        assert "Secure" not in response.headers["set-cookie"]  # not a trusted proxy: header ignored


def test_unknown_user_and_wrong_password_answer_alike(app, anon_client, canary) -> None:
    make_user(app)
    wrong = _login(anon_client, ADMIN_NAME, canary("wrong"))
    unknown = _login(anon_client, "nobody-here", canary("wrong"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Wrong username or password.", "code": "invalid_credentials"}


def test_unknown_user_costs_a_hash_like_a_wrong_password(app) -> None:
    make_user(app)
    with _second(TestClient(app)) as client:
        times: dict[str, list[float]] = {"wrong": [], "unknown": []}
        for i in range(4):  # interleaved, under the limit of 5 failures per user / address
            for kind, name in (("wrong", ADMIN_NAME), ("unknown", f"ghost-{i}")):
                app.state.limiter.reset()
                start = time.perf_counter()
                _login(client, name, "fake-wrong-password-xx")
                times[kind].append(time.perf_counter() - start)
    ratio = statistics.median(times["unknown"]) / statistics.median(times["wrong"])
    # Without the dummy hash an unknown user answers ~100x faster.
    assert 0.33 < ratio < 3, ratio


def test_five_failures_a_minute_per_address_then_429_with_retry_after(app, anon_client) -> None:
    make_user(app)
    for _ in range(5):
        assert _login(anon_client, ADMIN_NAME, "fake-wrong-password-1").status_code == 401
    limited = _login(anon_client)  # even the right password waits
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["code"] == "rate_limited" and "failed sign-ins" in limited.json()["detail"]


def test_failures_count_per_username_across_addresses(app) -> None:
    make_user(app)
    for i in range(5):
        with _second(TestClient(app, client=(f"198.51.100.{i + 1}", 4000))) as c:
            assert _login(c, ADMIN_NAME, "fake-wrong-password-2").status_code == 401
    with _second(TestClient(app, client=("198.51.100.99", 4000))) as c:
        assert _login(c).status_code == 429
        assert _login(c, "someone-else", "fake-wrong-password-3").status_code == 401  # that user is not limited


def test_ipv6_clients_are_counted_per_64(app) -> None:
    make_user(app)
    for i in range(5):
        with _second(TestClient(app, client=(f"2001:db8:1:2::{i + 1}", 4000))) as c:
            assert _login(c, f"user-{i}", "fake-wrong-password-4").status_code == 401
    with _second(TestClient(app, client=("2001:db8:1:2:ffff::9", 4000))) as c:
        assert _login(c, "user-new", "fake-wrong-password-4").status_code == 429
    with _second(TestClient(app, client=("2001:db8:1:3::1", 4000))) as c:
        assert _login(c, "user-new2", "fake-wrong-password-4").status_code == 401


def test_idle_and_absolute_expiry(db_path) -> None:
    app = create_app(make_settings(f"sqlite:///{db_path}", session_idle_minutes=30, session_max_hours=24))
    headers = bearer_for(app)
    with _second(TestClient(app, headers=headers)) as client:
        assert client.get("/api/v1/auth/me").status_code == 200
        with app.state.session_factory() as s:
            s.execute(update(AuthSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
            s.commit()
        assert client.get("/api/v1/auth/me").status_code == 401
    headers = bearer_for(app)
    with _second(TestClient(app, headers=headers)) as client:
        with app.state.session_factory() as s:
            s.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
            s.commit()
        assert client.get("/api/v1/auth/me").status_code == 401


def test_password_change_asks_for_the_current_one_and_ends_other_sessions(app, canary) -> None:
    make_user(app)
    other = bearer_for(app)
    with _second(signed_in(app)) as me:
        wrong = me.put(
            "/api/v1/auth/password", json={"current_password": "fake-not-it-123", "new_password": canary("new")}
        )
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
        weak = me.put(
            "/api/v1/auth/password", json={"current_password": ADMIN_PASSWORD, "new_password": "qwerty123456"}
        )
        assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "new_password"
        new = canary("new-password")
        ok = me.put("/api/v1/auth/password", json={"current_password": ADMIN_PASSWORD, "new_password": new})
        assert ok.status_code == 204
        assert me.get("/api/v1/auth/me").status_code == 200  # this session goes on
        with _second(TestClient(app, headers=other)) as them:
            assert them.get("/api/v1/auth/me").status_code == 401  # the other one ended
        with _second(TestClient(app)) as fresh:
            assert _login(fresh, ADMIN_NAME, ADMIN_PASSWORD).status_code == 401
            assert _login(fresh, ADMIN_NAME, new).status_code == 200
        assert_no_leak(new, ok, wrong, weak)


# -- users -----------------------------------------------------------------------------


def test_admins_manage_users_and_the_last_admin_stays(app, client, canary) -> None:
    me = client.get("/api/v1/auth/me").json()
    password = canary("viewer-password")
    created = client.post("/api/v1/users", json={"username": "Guest", "password": password, "role": "viewer"})
    assert created.status_code == 201, created.text
    uid = created.json()["id"]
    assert set(created.json()) == {"id", "username", "role", "is_active", "created_at", "last_login_at"}
    dup = client.post("/api/v1/users", json={"username": "guest", "password": canary("p"), "role": "viewer"})
    assert dup.status_code == 409 and dup.json()["code"] == "username_taken"

    # Demoting or deleting oneself, the last admin, is refused.
    assert client.put(f"/api/v1/users/{me['id']}", json={"role": "viewer"}).json()["code"] == "self"
    assert client.delete(f"/api/v1/users/{me['id']}").json()["code"] == "self"

    # The viewer signed in, then disabled: their session ends.
    with _second(TestClient(app)) as guest:
        assert _login(guest, "guest", password).status_code == 200
        assert client.put(f"/api/v1/users/{uid}", json={"is_active": False}).status_code == 200
        assert guest.get("/api/v1/auth/me").status_code == 401
        assert _login(guest, "guest", password).status_code == 401
    # Made admin; then the first admin may be demoted by them, not the last one.
    assert client.put(f"/api/v1/users/{uid}", json={"is_active": True, "role": "admin"}).json()["role"] == "admin"
    with _second(signed_in(app, username="guest")) as second:
        assert second.put(f"/api/v1/users/{me['id']}", json={"role": "viewer"}).status_code == 200
        assert second.delete(f"/api/v1/users/{uid}").json()["code"] == "self"
    with _second(signed_in(app, username="guest")) as second:
        body = second.get("/api/v1/users").json()
        assert {u["username"]: u["role"] for u in body} == {ADMIN_NAME: "viewer", "Guest": "admin"}
    # A GET body is accepted back on PUT (read-only fields ignored).
    with _second(signed_in(app, username="guest")) as second:
        user = next(u for u in second.get("/api/v1/users").json() if u["username"] == ADMIN_NAME)
        assert second.put(f"/api/v1/users/{user['id']}", json=user).status_code == 200
        assert second.delete(f"/api/v1/users/{user['id']}").status_code == 204
    assert_no_leak(password, created, dup)


# -- API tokens ------------------------------------------------------------------------


def test_api_tokens_are_shown_once_work_with_their_role_and_stop_when_revoked(app, client, db_path) -> None:
    created = client.post("/api/v1/tokens", json={"name": "Home Assistant", "role": "viewer", "expires_in_days": 30})
    assert created.status_code == 201, created.text
    token = register_canary(created.json()["token"])
    assert token.startswith("loac_t_") and created.json()["prefix"] == token[:12]
    listed = client.get("/api/v1/tokens")
    assert listed.json()[0]["name"] == "Home Assistant" and "token" not in listed.json()[0]
    assert listed.json()[0]["created_by"] == ADMIN_NAME
    assert_no_leak(token, listed)

    with _second(TestClient(app, headers={"Authorization": f"Bearer {token}"})) as ha:
        assert ha.get("/api/v1/events").status_code == 200
        assert ha.get("/api/v1/settings").status_code == 403
        me = ha.get("/api/v1/auth/me").json()
        assert me["auth"] == "token"
        # Bearer requests need no Origin, even unsafe ones.
        assert (
            ha.post("/api/v1/notifications/mark-all-read", headers={"Origin": "http://evil.example"}).status_code == 200
        )
        assert client.get("/api/v1/tokens").json()[0]["last_used_at"] is not None
        assert client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 204
        assert ha.get("/api/v1/events").status_code == 401
    assert_no_leak(token, db_path)


def test_an_expired_token_stops_working(app, client) -> None:
    created = client.post("/api/v1/tokens", json={"name": "script", "role": "admin", "expires_in_days": 1}).json()
    token = register_canary(created["token"])
    with _second(TestClient(app, headers={"Authorization": f"Bearer {token}"})) as script:
        assert script.get("/api/v1/settings").status_code == 200
        with app.state.session_factory() as s:
            s.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
            s.commit()
        assert script.get("/api/v1/settings").status_code == 401


def test_an_admin_token_of_a_demoted_user_acts_as_a_viewer(app, client) -> None:
    second = make_user(app, username="second-admin", role="admin")
    with _second(signed_in(app, username="second-admin")) as other:
        token = register_canary(other.post("/api/v1/tokens", json={"name": "t", "role": "admin"}).json()["token"])
    assert client.put(f"/api/v1/users/{second}", json={"role": "viewer"}).status_code == 200
    with _second(TestClient(app, headers={"Authorization": f"Bearer {token}"})) as script:
        assert script.get("/api/v1/settings").status_code == 403
        assert script.get("/api/v1/events").status_code == 200


# -- CSRF and CORS ---------------------------------------------------------------------


def test_cookie_requests_from_another_site_are_refused(app, anon_client) -> None:
    make_user(app)
    assert _login(anon_client).status_code == 200  # the browser now holds the cookie
    evil = {"Origin": "http://evil.example"}
    # A cross-site form POST (no preflight, cookie attached by the browser).
    form = anon_client.post(
        "/api/v1/events",
        content=b'{"description":"x"}',
        headers={**evil, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 403 and form.json()["code"] == "csrf"
    fetch = anon_client.put("/api/v1/settings", json={"ai_max_tokens": 1234}, headers=evil)
    assert fetch.status_code == 403
    no_origin = anon_client.post("/api/v1/notifications/mark-all-read")
    assert no_origin.status_code == 403
    referer = anon_client.post("/api/v1/notifications/mark-all-read", headers={"Referer": "http://evil.example/page"})
    assert referer.status_code == 403
    # The dashboard's own origin (and its loopback twin) are fine; reads need nothing.
    assert anon_client.post("/api/v1/notifications/mark-all-read", headers={"Origin": ORIGIN}).status_code == 200
    twin = {"Origin": "http://localhost:3000"}
    assert anon_client.post("/api/v1/notifications/mark-all-read", headers=twin).status_code == 200
    assert anon_client.get("/api/v1/settings", headers=evil).status_code == 200
    assert anon_client.get("/api/v1/settings").json()["ai_max_tokens"] != 1234


def test_cors_is_closed_by_default_and_opens_by_allow_list(app, db_path) -> None:
    with _second(signed_in(app)) as client:
        preflight = client.options(
            "/api/v1/settings",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"},
        )
        assert "access-control-allow-origin" not in preflight.headers
        read = client.get("/api/v1/settings", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in read.headers
    opened = create_app(make_settings(f"sqlite:///{db_path}", cors_allow_origins=["http://ha.example:8123"]))
    with _second(signed_in(opened)) as client:
        preflight = client.options(
            "/api/v1/settings",
            headers={"Origin": "http://ha.example:8123", "Access-Control-Request-Method": "PUT"},
        )
        assert preflight.headers["access-control-allow-origin"] == "http://ha.example:8123"
        other = client.get("/api/v1/settings", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers


# -- behind a reverse proxy ------------------------------------------------------------


def test_proxy_header_login_only_from_trusted_proxies(db_path) -> None:
    settings = make_settings(f"sqlite:///{db_path}", auth_proxy_header="Remote-User", trusted_proxies=["127.0.0.1"])
    app = create_app(settings)
    make_user(app, username="alice", role="viewer")
    with _second(TestClient(app, client=("127.0.0.1", 9000))) as proxy:
        me = proxy.get("/api/v1/auth/me", headers={"Remote-User": "alice"})
        assert me.status_code == 200 and me.json()["auth"] == "proxy" and me.json()["role"] == "viewer"
        assert proxy.get("/api/v1/auth/me", headers={"Remote-User": "mallory"}).status_code == 401
        # Ambient like a cookie: unsafe requests need the dashboard's origin.
        unsafe = proxy.post("/api/v1/notifications/mark-all-read", headers={"Remote-User": "alice"})
        assert unsafe.status_code == 403
    with _second(TestClient(app, client=("198.51.100.20", 9000))) as direct:
        assert direct.get("/api/v1/auth/me", headers={"Remote-User": "alice"}).status_code == 401
        assert "Ignored Remote-User" in captured_logs()


# -- at rest and in logs ---------------------------------------------------------------


def test_only_hashes_reach_the_database(app, anon_client, db_path, canary) -> None:
    password = canary("owner")
    setup = anon_client.post("/api/v1/auth/setup", json={"username": "owner", "password": password})
    session_token = register_canary(setup.json()["access_token"])
    api_token = register_canary(
        anon_client.post("/api/v1/tokens", json={"name": "n"}, headers={"Origin": ORIGIN}).json()["token"]
    )
    with app.state.session_factory() as s:
        user = s.scalar(select(User).where(User.username_key == "owner"))
        assert user is not None and user.password_hash.startswith("$argon2id$")
    for secret in (password, session_token, api_token):
        assert_no_leak(secret, db_path)
        assert secret not in captured_logs()


# -- audit -----------------------------------------------------------------------------


def test_the_audit_trail_names_places_never_values(app, client, canary, db_path) -> None:
    key = canary("openai-key")
    assert client.put("/api/v1/settings", json={"ai_api_key_openai": key}).status_code == 200
    assert _login(TestClient(app), ADMIN_NAME, "fake-bad-password-9").status_code == 401
    page = client.get("/api/v1/audit", params={"action": "credential_change"}).json()
    assert page["total"] == 1
    entry = page["items"][0]
    assert entry["actor"] == ADMIN_NAME and entry["target"] == "OpenAI key set" and entry["outcome"] == "ok"
    assert entry["at"].endswith("Z")
    failed = client.get("/api/v1/audit", params={"action": "login", "outcome": "failed"}).json()
    assert failed["total"] == 1 and failed["items"][0]["actor"] == ADMIN_NAME
    everything = client.get("/api/v1/audit", params={"limit": 200})
    assert everything.json()["total"] >= 2
    assert client.get("/api/v1/audit", params={"limit": 1, "offset": 1}).json()["items"][0]["id"] < entry["id"] + 10
    assert_no_leak(key, everything, db_path)


def test_audit_entries_past_the_retention_are_pruned_at_start(db_path) -> None:
    from app.services import audit_service

    app = create_app(make_settings(f"sqlite:///{db_path}", audit_retention_days=7))
    with app.state.session_factory() as s:
        audit_service.record(s, actor="a", address=None, action="login")
        s.commit()
        from app.models.audit import AuditEntry

        s.execute(update(AuditEntry).values(at=utcnow() - timedelta(days=8)))
        audit_service.record(s, actor="b", address=None, action="login")
        s.commit()
    with signed_in(app) as client:  # its lifespan prunes
        actors = [e["actor"] for e in client.get("/api/v1/audit").json()["items"]]
    assert "a" not in actors and "b" in actors


# -- DNS rebinding ---------------------------------------------------------------------


def test_unknown_host_names_are_refused_before_anything_else(db_path) -> None:
    settings = make_settings(
        f"sqlite:///{db_path}", public_url="https://dash.example.net", allowed_hosts=["cams.home.arpa"]
    )
    app = create_app(settings)
    with _second(TestClient(app)) as client:
        # A rebinding page's own name: even the public set-up route is refused.
        for path in ("/health", "/api/v1/auth/status"):
            refused = client.get(path, headers={"Host": "evil.example"})
            assert refused.status_code == 421 and refused.json()["code"] == "unknown_host"
        setup = client.post(
            "/api/v1/auth/setup",
            json={"username": "intruder", "password": "fake-rebinding-pass-123"},
            headers={"Host": "evil.example:8000"},
        )
        assert setup.status_code == 421
        assert client.get("/api/v1/auth/status").json() == {"setup_required": True}
        for host in (
            "127.0.0.1:8000",
            "[::1]:8000",
            "localhost:8000",
            "backend:8000",
            "dash.example.net",
            "cams.home.arpa:8000",
            "192.168.1.20:8000",
        ):
            assert client.get("/health", headers={"Host": host}).status_code == 200, host


# -- cross-site bodies and the AI budget -----------------------------------------------


def test_events_take_only_json_or_multipart(client) -> None:
    for content_type in ("text/plain", "text/plain;charset=UTF-8", "application/xml"):
        refused = client.post("/api/v1/events", content=b'{"description": "x"}', headers={"Content-Type": content_type})
        assert refused.status_code == 415, refused.text
        assert refused.json()["code"] == "unsupported_media"
    assert client.get("/api/v1/events").json()["total"] == 0
    # JSON is read as JSON (it reaches field validation).
    parsed = client.post("/api/v1/events", json={"description": "a person at the door"})
    assert parsed.status_code == 422 and {e["field"] for e in parsed.json()["errors"]} >= {"camera_id"}


BAD_USERNAMES = ["with space", "x" * 65, "semi;colon", "   "]
USERNAME_RULE_TEXT = "Use 1 to 64 letters, digits, dots, dashes, underscores or @."


def _refused_in_words(answer, password: str) -> None:
    """The field error says what a username may hold (the dashboard shows it at the
    field and checks nothing itself): never the pattern's text, never the value."""
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == [{"field": "username", "message": USERNAME_RULE_TEXT}]
    assert "pattern" not in answer.text and password not in answer.text


@pytest.mark.parametrize("username", BAD_USERNAMES)
def test_a_bad_username_is_refused_in_the_users_words(client, canary, username: str) -> None:
    password = canary("user-pw")
    _refused_in_words(
        client.post("/api/v1/users", json={"username": username, "password": password, "role": "viewer"}), password
    )


@pytest.mark.parametrize("username", BAD_USERNAMES)
def test_a_bad_owner_name_is_refused_in_the_users_words(anon_client, canary, username: str) -> None:
    password = canary("owner-pw")
    _refused_in_words(
        anon_client.post("/api/v1/auth/setup", json={"username": username, "password": password}), password
    )
