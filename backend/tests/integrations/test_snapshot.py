"""Issue 14, item 3: one frame from the fake camera's real H.264 stream, as a
JPEG, through PyAV; bounded in time; FFmpeg's log lines redacted."""

from __future__ import annotations

import io
import logging
import socket
import threading
import time

import av
import pytest

from app.integrations.rtsp import snapshot
from tests.conftest import assert_no_leak, captured_logs, free_port
from tests.fakes.fake_rtsp import start_in_thread


def _url(port: int, password: str | None, *, path: str = "/stream1", username: str = "admin") -> str:
    return snapshot.stream_url(
        scheme="rtsp", address="127.0.0.1", port=port, target=path, username=username, password=password
    )


def test_a_frame_of_the_real_stream_comes_back_as_a_small_jpeg(canary):
    password = canary("snapshot") + "/:@?&"  # characters that must be percent-encoded in the URL
    with start_in_thread(password=password, video=True, width=320, height=240) as camera:
        shot = snapshot.grab(_url(camera.port, password), max_side=160)
        assert shot is not None
        assert (shot.width, shot.height) == (320, 240)
        assert shot.jpeg.startswith(b"\xff\xd8") and shot.jpeg.endswith(b"\xff\xd9")
        # It really is the camera's picture: decoding the JPEG gives the scaled frame.
        decoded = next(av.open(io.BytesIO(shot.jpeg), format="mjpeg").decode(video=0))
        assert (decoded.width, decoded.height) == (160, 120)
        assert shot.data_url().startswith("data:image/jpeg;base64,/9j/")
        assert [r.method for r in camera.requests if r.authorized][:2] == ["SETUP", "PLAY"]
    assert_no_leak(password, shot.data_url(), captured_logs())


def test_a_wrong_password_gives_no_frame_and_ffmpeg_s_lines_are_redacted(canary):
    right, wrong = canary("right"), canary("wrong")
    with start_in_thread(password=right, video=True, width=160, height=120) as camera:
        logging.getLogger("app.rtsp.ffmpeg").setLevel(logging.DEBUG)
        assert snapshot.grab(_url(camera.port, wrong)) is None
    logs = captured_logs()
    assert "DESCRIBE failed: 401" in logs  # FFmpeg's own line reached the app's logging
    assert_no_leak(wrong, logs)
    assert_no_leak(right, logs)


def test_nothing_listening_gives_no_frame_quickly(canary):
    password = canary("closed")
    started = time.monotonic()
    assert snapshot.grab(_url(free_port(), password), timeout=2.0) is None
    assert time.monotonic() - started < 10
    assert_no_leak(password, captured_logs())


def test_a_camera_that_never_answers_is_given_up_on_in_time(canary):
    """A socket that accepts and then says nothing: the grab gives up near its timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        assert snapshot.grab(_url(listener.getsockname()[1], canary("silent")), timeout=1.0) is None
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()
    assert elapsed < 8  # bounded by the timeout (with FFmpeg's own retries), not hanging


@pytest.mark.parametrize(
    ("address", "expected"),
    [("127.0.0.1", "rtsp://admin:p%40ss@127.0.0.1:554/s?x=1"), ("::1", "rtsp://admin:p%40ss@[::1]:554/s?x=1")],
)
def test_the_url_is_built_on_the_checked_address(address, expected):
    built = snapshot.stream_url(
        scheme="rtsp", address=address, port=554, target="/s?x=1", username="admin", password="p@ss"
    )
    assert built == expected
