"""Everything the dashboard's end-to-end tests talk to, in one process.

Started by ``frontend/playwright.config.ts`` (its first ``webServer``)::

    cd backend && .venv/bin/python -m tests.fakes.serve_e2e --port 8765 \
        --public-url http://127.0.0.1:3000 [--state-file /tmp/e2e.json] [--data-dir DIR]

It starts, each on a free port of 127.0.0.1 in a background thread:

* the fake AI provider (``tests.fakes.fake_provider``): keys ending in ``-ok``
  are valid, ``-bad`` rejected, and so on (see its docstring);
* the fake RTSP camera (``tests.fakes.fake_rtsp``, Digest auth);
* a second fake camera that streams real H.264 (320x240, ``video=True``), so a
  test grabs a frame and the dashboard shows the snapshot;
* the webhook receiver (``tests.fakes.webhook_receiver``);
* a second receiver that answers every request with HTTP 500 (a failing webhook);

then serves the backend (``app.main:app``) with uvicorn on ``--port`` with a
throw-away environment: a fresh Fernet key, a SQLite database in a temporary
folder (or ``--data-dir``), ``AUTO_MIGRATE=true``, the provider base URLs
pointing at the fake, and ``APP_ENV_FILE`` pointing into the temporary folder
so the repo-root ``.env`` is neither read nor written.

Accounts: the database starts with **no user** (``ADMIN_USERNAME`` /
``ADMIN_PASSWORD`` are removed from the environment), so the dashboard opens
on its onboarding, which the first spec (``e2e/00-onboarding.spec.ts``) goes
through. ``PUBLIC_URL`` is the dashboard's address (``--public-url``, default
``http://127.0.0.1:$E2E_WEB_PORT``): the backend's same-origin check accepts
the dashboard's cookie-authenticated requests. Uvicorn runs with
``proxy_headers=False`` and no trusted proxies or proxy-login header: nothing
in front of it may claim another client address or user.

``--state-file`` receives JSON describing the fakes, for the tests::

    {"backend_url": ..., "public_url": ..., "provider_url": ..., "webhook_url": ...,
     "failing_webhook_url": ...,
     "camera": {"rtsp_url": ..., "username": ..., "password": ...},
     "video_camera": {"rtsp_url": ..., "username": ..., "password": ...}}

Nothing here is reachable from outside the machine (127.0.0.1 only), and the
only secrets are made-up test values.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def _start_provider() -> Any:
    from tests.fakes import fake_provider

    return fake_provider.start_in_thread()


def _start_receiver() -> Any:
    from tests.fakes.webhook_receiver import WebhookReceiver

    return WebhookReceiver(port=0).start()


def _start_failing_receiver() -> Any:
    """A receiver whose every answer is HTTP 500: the rule using it is failing."""
    from tests.fakes.webhook_receiver import WebhookReceiver

    receiver = WebhookReceiver(port=0)
    receiver.respond_with(status=500, body="e2e receiver is down")
    return receiver.start()


CAMERA_USERNAME = "admin"
CAMERA_PASSWORD = "e2e-fake-camera-password"


def _start_camera() -> Any:
    """The fake RTSP camera (Digest auth, H.264 1920x1080 + PCMA)."""
    from tests.fakes import fake_rtsp

    return fake_rtsp.start_in_thread(username=CAMERA_USERNAME, password=CAMERA_PASSWORD)


VIDEO_CAMERA_PASSWORD = "e2e-fake-video-camera-password"


def _start_video_camera() -> Any:
    """A fake RTSP camera serving a real H.264 stream (320x240): its test returns a snapshot."""
    from tests.fakes import fake_rtsp

    return fake_rtsp.start_in_thread(
        username=CAMERA_USERNAME, password=VIDEO_CAMERA_PASSWORD, video=True, width=320, height=240
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fakes + backend for the dashboard's end-to-end tests.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("E2E_BACKEND_PORT", "8765")))
    parser.add_argument("--state-file", default=os.environ.get("E2E_STATE_FILE"))
    parser.add_argument("--data-dir", default=None, help="folder for the database (default: a temporary one)")
    parser.add_argument("--log-level", default=os.environ.get("E2E_LOG_LEVEL", "warning"))
    parser.add_argument(
        "--public-url",
        default=None,
        help="the dashboard's address (PUBLIC_URL); default http://127.0.0.1:$E2E_WEB_PORT",
    )
    args = parser.parse_args(argv)
    public_url = args.public_url
    if not public_url:
        web_port = os.environ.get("E2E_WEB_PORT")
        if not web_port:
            parser.error("--public-url or E2E_WEB_PORT is needed (the dashboard's address)")
        public_url = f"http://{HOST}:{web_port}"

    if args.data_dir:
        data_dir = Path(args.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="loaic-e2e-"))
        atexit.register(shutil.rmtree, data_dir, True)

    provider = _start_provider()
    receiver = _start_receiver()
    camera = _start_camera()
    failing_receiver = _start_failing_receiver()
    video_camera = _start_video_camera()

    from cryptography.fernet import Fernet

    env = {
        "APP_ENV_FILE": str(data_dir / "e2e.env"),
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{data_dir / 'e2e.db'}",
        "AUTO_MIGRATE": "true",
        "RATE_LIMIT_STORAGE_URL": "memory://",
        "PUBLIC_URL": public_url,
        "LOG_LEVEL": args.log_level.upper(),
        "AI_OPENAI_BASE_URL": provider.base_url("openai"),
        "AI_ANTHROPIC_BASE_URL": provider.base_url("anthropic"),
        "AI_GOOGLE_BASE_URL": provider.base_url("google"),
        "AI_GROK_BASE_URL": provider.base_url("grok"),
    }
    # No first admin from the environment (the onboarding creates it), no proxy
    # login, no trusted proxies, no CORS opening inherited from the caller.
    for name in (
        "ENCRYPTION_KEY_FILE",
        "ENCRYPTION_KEYS_PREVIOUS",
        "ADMIN_USERNAME",
        "ADMIN_PASSWORD",
        "ADMIN_PASSWORD_FILE",
        "AUTH_PROXY_HEADER",
        "TRUSTED_PROXIES",
        "CORS_ALLOW_ORIGINS",
    ):
        os.environ.pop(name, None)
    os.environ.update(env)

    state = {
        "backend_url": f"http://{HOST}:{args.port}",
        "public_url": public_url,
        "provider_url": provider.url,
        "webhook_url": receiver.url,
        "failing_webhook_url": failing_receiver.url,
        "camera": {"rtsp_url": camera.rtsp_url, "username": CAMERA_USERNAME, "password": CAMERA_PASSWORD},
        "video_camera": {
            "rtsp_url": video_camera.rtsp_url,
            "username": CAMERA_USERNAME,
            "password": VIDEO_CAMERA_PASSWORD,
        },
    }
    if args.state_file:
        Path(args.state_file).write_text(json.dumps(state, indent=2), encoding="utf-8")
    print(f"serve_e2e: fakes ready {json.dumps(state)}", flush=True)

    import uvicorn

    try:
        uvicorn.run(
            "app.main:app",
            host=HOST,
            port=args.port,
            log_level=args.log_level,
            access_log=False,
            proxy_headers=False,
            # Longer than the dashboard proxy keeps idle connections: it never reuses one uvicorn just closed.
            timeout_keep_alive=75,
        )
    finally:
        for handle in (receiver, failing_receiver, provider, camera, video_camera):
            stop = getattr(handle, "stop", None)
            if callable(stop):
                with contextlib.suppress(Exception):  # best effort at exit
                    stop()
        if args.state_file:
            Path(args.state_file).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
