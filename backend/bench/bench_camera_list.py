"""Camera list latency: GET /api/v1/cameras with 1,000 cameras with passwords vs 1,000 without.

Run: cd backend && .venv/bin/python bench/bench_camera_list.py
Two throw-away SQLite databases (same schema, same names and URLs; one has an
encrypted password per camera). The two lists are fetched alternately (ABBA)
through the ASGI app (TestClient, in process), 30 rounds, and the medians
compared (target <= 1.1x). Listing never decrypts: credential_status comes from the
token's HMAC, checked once per token and key ring, then remembered.

Printed, by wall-clock time and by this process's CPU time (the latter is
immune to other load on the machine): the steady-state ratio (the target), and
the cold ratio, where that memory is emptied before every request with
passwords (a first list after a restart, or after every password changed
elsewhere).
"""

from __future__ import annotations

import gc
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N = 1000
ROUNDS = 30
TARGET = 1.1


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-cameras-"))
    os.environ["APP_ENV_FILE"] = str(workdir / "bench.env")  # the repo's .env is neither read nor written
    for name in ("ENCRYPTION_KEY_FILE", "ENCRYPTION_KEYS_PREVIOUS"):
        os.environ.pop(name, None)

    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

    from app.core import encryption
    from app.core.config import Settings
    from app.core.secret_fields import camera_password_context
    from app.main import create_app
    from app.models.camera import Camera
    from app.services import camera_service
    from bench.accounts import admin_headers
    from bench.results import Row, ratio, record

    key = encryption.generate_key()

    def build(name: str, with_passwords: bool) -> TestClient:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=f"sqlite:///{workdir / name}",
            encryption_key=key,
            log_level="WARNING",
        )
        app = create_app(settings)
        with app.state.session_factory() as session:
            rows = []
            for i in range(N):
                # Same columns as camera_service.create_camera writes; ids set here so the
                # password can be encrypted bound to its row in one pass.
                camera = Camera(
                    id=i + 1,
                    name=f"Camera {i:04d}",
                    type="rtsp",
                    rtsp_url=f"rtsp://192.168.{i // 250}.{i % 250 + 1}:554/Streaming/Channels/101",
                    username="admin",
                )
                if with_passwords:
                    camera.password = encryption.encrypt(
                        f"fake-bench-password-{i:04d}", context=camera_password_context(i + 1)
                    )
                rows.append(camera)
            session.add_all(rows)
            session.commit()
        return TestClient(app, headers=admin_headers(app))

    logging.disable(logging.INFO)
    with_pw, without_pw = build("with.db", True), build("without.db", False)

    def timed(client: TestClient, *, cold: bool = False) -> tuple[float, float]:
        """(wall, CPU) seconds of one GET; CPU time is what this process spent,
        all threads included, so other load on the machine does not count."""
        if cold:
            camera_service._mac_cache = camera_service._MacCache()
        gc.collect()  # neither side pays for the other's garbage
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get("/api/v1/cameras")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert response.status_code == 200 and len(response.json()) == N
        return wall, cpu

    def pair(cold: bool, flip: bool) -> tuple[tuple[float, float], tuple[float, float]]:
        """One measurement of each, in alternating order (ABBA) so drift hits both alike."""
        if flip:
            w = timed(with_pw, cold=cold)
            return w, timed(without_pw)
        wo = timed(without_pw)
        return timed(with_pw, cold=cold), wo

    with with_pw, without_pw:
        assert {c["credential_status"] for c in with_pw.get("/api/v1/cameras").json()} == {"set"}
        assert {c["credential_status"] for c in without_pw.get("/api/v1/cameras").json()} == {"none"}
        for _ in range(3):  # warm up
            timed(with_pw), timed(without_pw)
        warm_with, warm_without, cold_with, cold_without = [], [], [], []
        for i in range(ROUNDS):
            w, wo = pair(False, bool(i % 2))
            warm_with.append(w)
            warm_without.append(wo)
        for i in range(ROUNDS):
            w, wo = pair(True, bool(i % 2))
            cold_with.append(w)
            cold_without.append(wo)

    def med(samples: list[tuple[float, float]], which: int) -> float:
        return statistics.median(sample[which] for sample in samples)

    print(f"GET /api/v1/cameras, {N} cameras, {ROUNDS} rounds (ABBA), medians:")
    for which, label in ((0, "wall"), (1, "CPU ")):
        a, b = med(warm_with, which), med(warm_without, which)
        c, d = med(cold_with, which), med(cold_without, which)
        print(
            f"  {label}: without passwords {b * 1000:7.2f} ms | with {a * 1000:7.2f} ms | "
            f"with, cold {c * 1000:7.2f} ms (vs {d * 1000:7.2f} ms)"
        )
        print(f"  {label}: list ratio with/without passwords {a / b:.3f}x (target <= 1.1x); cold {c / d:.3f}x")
    wall = med(warm_with, 0) / med(warm_without, 0)
    cpu = med(warm_with, 1) / med(warm_without, 1)
    record(
        "camera_list",
        [
            Row(
                f"camera list, {N} with vs without passwords (wall)",
                ratio(wall),
                f"<= {TARGET}x",
                wall <= TARGET,
                [round(w[0] / wo[0], 3) for w, wo in zip(warm_with, warm_without, strict=True)],
            ),
            Row(
                f"camera list, {N} with vs without passwords (CPU)",
                ratio(cpu),
                f"<= {TARGET}x",
                cpu <= TARGET,
                [round(w[1] / wo[1], 3) for w, wo in zip(warm_with, warm_without, strict=True)],
            ),
        ],
    )


if __name__ == "__main__":
    main()
