"""Sign the benchmarks in: every API route needs an account (like a real client)."""

from __future__ import annotations

from typing import Any

BENCH_ADMIN = "bench-admin"
BENCH_PASSWORD = "fake-bench-admin-password-123"


def admin_headers(app: Any) -> dict[str, str]:
    """Headers of a fresh admin session on an in-process app (the user is made once)."""
    from app.services import auth_service

    with app.state.session_factory() as session:
        user = auth_service.find_user(session, BENCH_ADMIN)
        if user is None:
            user = auth_service.create_user_row(session, username=BENCH_ADMIN, password=BENCH_PASSWORD, role="admin")
        issued = auth_service.issue_session(
            session, user=user, settings=app.state.settings, address="127.0.0.1", user_agent="bench"
        )
        session.commit()
    return {"Authorization": f"Bearer {issued.token}"}


def login_headers(client: Any) -> dict[str, str]:
    """Sign in over HTTP (an API started with ADMIN_USERNAME / ADMIN_PASSWORD)."""
    response = client.post("/api/v1/auth/login", json={"username": BENCH_ADMIN, "password": BENCH_PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
