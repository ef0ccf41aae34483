"""One frame from an RTSP camera, as a small JPEG.

The frame comes through PyAV, which bundles FFmpeg: it speaks RTSP (over TCP
here), decodes H.264/H.265/MJPEG and encodes the JPEG, so no image library is
needed. The precise diagnosis of a camera stays with the RTSP probe; this only
adds a picture once the probe succeeded.

* The caller passes the address the outbound policy checked: the URL is built
  on that address, so FFmpeg never resolves the camera's name again.
* The grab is bounded: about ``timeout`` seconds in all (FFmpeg's socket
  timeout, PyAV's open/read timeouts and a deadline on decoding), a small
  probe size, video only, and frames larger than :data:`MAX_PIXELS` refused.
* FFmpeg's own log lines (it prints URLs, credentials included) are captured
  and re-emitted through the ``app.rtsp.ffmpeg`` logger, whose records pass
  the redaction filter like every other; the password and its URL-encoded
  form are registered with the redactor before FFmpeg sees them.
* The JPEG stays in memory; it is never written to disk here.
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import quote

import av
import av.logging

from app.core.logging import register_secret

logger = logging.getLogger("app.rtsp.snapshot")
ffmpeg_logger = logging.getLogger("app.rtsp.ffmpeg")

DEFAULT_TIMEOUT = 5.0
MAX_SIDE = 640  # the snapshot's longer side, in pixels
MAX_PIXELS = 8192 * 8192
_PROBE_BYTES = 2_000_000

# FFmpeg's messages reach Python only while captured (below); errors and warnings are kept.
av.logging.set_level(av.logging.WARNING)


@dataclass(frozen=True)
class Snapshot:
    jpeg: bytes
    width: int  # of the camera's frame
    height: int

    def data_url(self) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(self.jpeg).decode("ascii")


def stream_url(*, scheme: str, address: str, port: int, target: str, username: str | None, password: str | None) -> str:
    """The URL FFmpeg opens: the checked ``address`` (never a name), credentials
    percent-encoded. ``target`` is the path and query, starting with ``/``."""
    host = f"[{address}]" if ":" in address else address
    userinfo = ""
    if username or password:
        userinfo = quote(username or "", safe="")
        if password:
            register_secret(password)
            register_secret(quote(password, safe=""))
            userinfo += ":" + quote(password, safe="")
        userinfo += "@"
    return f"{scheme}://{userinfo}{host}:{port}{target or '/'}"


def grab(url: str, *, timeout: float = DEFAULT_TIMEOUT, max_side: int = MAX_SIDE) -> Snapshot | None:
    """The first decodable video frame of ``url`` as a JPEG no larger than
    ``max_side``, or ``None`` when none came in time. Never raises for what
    the camera does. Blocking: run it in a worker thread."""
    deadline = time.monotonic() + timeout
    options = {
        "rtsp_transport": "tcp",
        "timeout": str(int(timeout * 1_000_000)),  # socket I/O, microseconds
        "probesize": str(_PROBE_BYTES),
        "analyzeduration": "1000000",
        "allowed_media_types": "video",
    }
    with av.logging.Capture() as captured:
        try:
            snapshot = _grab(url, options, timeout, deadline, max_side)
        except (av.FFmpegError, OSError, ValueError) as exc:
            logger.info("Snapshot: no frame (%s)", type(exc).__name__)
            snapshot = None
    for level, name, message in captured[-50:]:
        ffmpeg_logger.log(_python_level(level), "%s: %s", name or "ffmpeg", str(message).strip())
    return snapshot


def _grab(url: str, options: dict[str, str], timeout: float, deadline: float, max_side: int) -> Snapshot | None:
    container = av.open(url, options=options, timeout=(timeout, timeout))
    try:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if time.monotonic() > deadline:
                return None
            if frame.width * frame.height > MAX_PIXELS:
                logger.info("Snapshot: frame %dx%d refused (too large)", frame.width, frame.height)
                return None
            return Snapshot(_jpeg(frame, max_side), frame.width, frame.height)
        return None
    finally:
        container.close()


def _jpeg(frame: av.VideoFrame, max_side: int) -> bytes:
    scale = min(1.0, max_side / max(frame.width, frame.height))
    width = max(2, int(frame.width * scale) // 2 * 2)
    height = max(2, int(frame.height * scale) // 2 * 2)
    small = frame.reformat(width=width, height=height, format="yuv420p", dst_color_range=2)  # full range
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuv420p"
    encoder.color_range = 2
    encoder.time_base = Fraction(1, 25)
    packets = list(encoder.encode(small)) + list(encoder.encode(None))
    return b"".join(bytes(packet) for packet in packets)


def _python_level(level: int) -> int:
    if level <= av.logging.ERROR:
        return logging.WARNING
    if level <= av.logging.WARNING:
        return logging.INFO
    return logging.DEBUG
