"""A fake RTSP camera on 127.0.0.1 that demands Digest authentication.

Used by the backend tests and by the dashboard's end-to-end tests (started by
``tests.fakes.serve_e2e``), so no test needs a real camera. It speaks enough
RTSP/1.0 (RFC 2326) for the handshake an NVR does first:

* ``OPTIONS`` → ``200`` with ``Public:`` (no authentication needed, as on most
  cameras; ``auth_options=True`` demands it there too);
* ``DESCRIBE`` → ``401`` with a ``WWW-Authenticate: Digest`` challenge
  (``realm``, a fresh ``nonce``, ``algorithm`` MD5 or SHA-256, ``qop="auth"``),
  then, once the ``Authorization`` header's ``response`` checks out against its
  own password (RFC 2617 / 7616 arithmetic done independently of the client),
  ``200`` with a realistic SDP: H.264 1920x1080 (``a=framesize`` and an SPS in
  ``sprop-parameter-sets``, encoded here bit by bit) plus PCMA audio;
* anything else → ``405``; an unknown path → ``404``.

Modes: ``normal`` (the above), ``silent`` (accepts connections, reads, never
answers: for client timeouts). ``echo`` plays a careless camera that repeats
credentials once authenticated: ``"reason"`` answers DESCRIBE with
``403 <the Authorization header as received>`` (Basic: the base64 of
``user:password``), ``"codec"`` names its video codec after its own password
in the SDP (``a=rtpmap:96 <password>/90000``). ``auth`` may be ``digest`` (default), ``basic``
or ``none``. Every request is recorded (``camera.requests``: method, URL,
headers, request line) and every accepted connection counted
(``camera.connections``), so a test can prove what was, or was not, sent.

Run it on its own (prints the URL, serves until interrupted)::

    cd backend && .venv/bin/python -m tests.fakes.fake_rtsp --port 8554 \\
        --username admin --password fake-camera-password [--mode silent] [--auth basic]

or in pytest::

    with start_in_thread(password=canary("camera")) as camera:
        camera.rtsp_url   # rtsp://127.0.0.1:<ephemeral port>/stream1 (no credentials)

Also here: :func:`start_http_server`, a plain HTTP server on an ephemeral port,
for "an HTTP server on the RTSP port" tests. Only made-up credentials are used.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import http.server
import re
import secrets
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from tests.fakes._serve import serve_until_interrupted

HOST = "127.0.0.1"
DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "fake-camera-password"
DEFAULT_PATH = "/stream1"
REALM = "FakeCam"

Mode = Literal["normal", "silent"]
Auth = Literal["digest", "basic", "none"]
Echo = Literal["", "reason", "codec"]


# -- an H.264 SPS, written bit by bit ----------------------------------------------


class _BitWriter:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def u(self, count: int, value: int) -> None:
        self.bits += [(value >> (count - 1 - i)) & 1 for i in range(count)]

    def ue(self, value: int) -> None:
        code = value + 1
        length = code.bit_length()
        self.u(length - 1, 0)
        self.u(length, code)

    def rbsp(self) -> bytes:
        bits = [*self.bits, 1]  # rbsp_stop_one_bit
        bits += [0] * (-len(bits) % 8)
        return bytes(int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8))


def _escape(rbsp: bytes) -> bytes:
    """Insert emulation-prevention bytes (00 00 0x with x <= 3 → 00 00 03 0x)."""
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def make_h264_sps(width: int, height: int, *, profile_idc: int = 100, level_idc: int = 40) -> bytes:
    """An SPS NAL unit (4:2:0, progressive) for ``width`` x ``height`` (even sizes)."""
    mbs_w, mbs_h = -(-width // 16), -(-height // 16)
    crop_right, crop_bottom = (mbs_w * 16 - width) // 2, (mbs_h * 16 - height) // 2
    w = _BitWriter()
    w.u(8, profile_idc)
    w.u(8, 0)  # constraint flags
    w.u(8, level_idc)
    w.ue(0)  # seq_parameter_set_id
    if profile_idc in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        w.ue(1)  # chroma_format_idc 4:2:0
        w.ue(0)  # bit_depth_luma_minus8
        w.ue(0)  # bit_depth_chroma_minus8
        w.u(1, 0)  # qpprime_y_zero_transform_bypass_flag
        w.u(1, 0)  # seq_scaling_matrix_present_flag
    w.ue(0)  # log2_max_frame_num_minus4
    w.ue(0)  # pic_order_cnt_type
    w.ue(0)  # log2_max_pic_order_cnt_lsb_minus4
    w.ue(1)  # max_num_ref_frames
    w.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    w.ue(mbs_w - 1)
    w.ue(mbs_h - 1)
    w.u(1, 1)  # frame_mbs_only_flag
    w.u(1, 1)  # direct_8x8_inference_flag
    if crop_right or crop_bottom:
        w.u(1, 1)
        for value in (0, crop_right, 0, crop_bottom):
            w.ue(value)
    else:
        w.u(1, 0)
    w.u(1, 0)  # vui_parameters_present_flag
    return bytes([0x67]) + _escape(w.rbsp())


PPS = bytes([0x68, 0xEB, 0xE3, 0xCB, 0x22, 0xC0])


def make_sdp(
    *, width: int = 1920, height: int = 1080, framesize: bool = True, host: str = HOST, codec: str = "H264"
) -> str:
    sps = base64.b64encode(make_h264_sps(width, height)).decode()
    pps = base64.b64encode(PPS).decode()
    lines = [
        "v=0",
        f"o=- {int(time.time() * 1_000_000)} 1 IN IP4 {host}",
        "s=Fake Camera Stream",
        "i=stream1",
        "t=0 0",
        "a=tool:fake-rtsp",
        "a=type:broadcast",
        "a=control:*",
        "a=range:npt=0-",
        "m=video 0 RTP/AVP 96",
        "c=IN IP4 0.0.0.0",
        "b=AS:4096",
        f"a=rtpmap:96 {codec}/90000",
        f"a=fmtp:96 packetization-mode=1;profile-level-id=640028;sprop-parameter-sets={sps},{pps}",
    ]
    if framesize:
        lines.append(f"a=framesize:96 {width}-{height}")
    lines += [
        "a=control:trackID=1",
        "m=audio 0 RTP/AVP 8",
        "c=IN IP4 0.0.0.0",
        "a=rtpmap:8 PCMA/8000/1",
        "a=control:trackID=2",
    ]
    return "\r\n".join(lines) + "\r\n"


# -- a real H.264 stream (video=True) ------------------------------------------------


@dataclass(frozen=True)
class H264Stream:
    """Access units of a real H.264 stream (Annex B NAL units, no start codes)."""

    width: int
    height: int
    sps: bytes
    pps: bytes
    frames: list[list[bytes]]


_streams: dict[tuple[int, int], H264Stream] = {}


def h264_stream(width: int, height: int, *, count: int = 10) -> H264Stream:
    """Encode ``count`` frames of a colour test pattern with libx264 (PyAV), once per size."""
    key = (width, height)
    if key not in _streams:
        import av  # the product's own FFmpeg

        encoder = av.CodecContext.create("libx264", "w")
        encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
        encoder.time_base = Fraction(1, 10)
        encoder.options = {"preset": "ultrafast", "tune": "zerolatency", "x264-params": f"keyint={count}:bframes=0"}
        frames: list[list[bytes]] = []
        for index in range(count):
            rows = b"".join(
                bytes(v for x in range(width) for v in ((x + index * 8) % 256, (y * 2) % 256, 128))
                for y in range(height)
            )
            picture = av.VideoFrame(width, height, "rgb24")
            picture.planes[0].update(rows)
            for packet in encoder.encode(picture.reformat(format="yuv420p")):
                frames.append(_nal_units(bytes(packet)))
        for packet in encoder.encode(None):
            frames.append(_nal_units(bytes(packet)))
        sps = next(n for f in frames for n in f if n[0] & 0x1F == 7)
        pps = next(n for f in frames for n in f if n[0] & 0x1F == 8)
        _streams[key] = H264Stream(width, height, sps, pps, frames)
    return _streams[key]


def _nal_units(annex_b: bytes) -> list[bytes]:
    return [unit.lstrip(b"\x00") for unit in re.split(b"\x00\x00\x01", annex_b) if unit.strip(b"\x00")]


def rtp_packets(
    units: list[bytes], *, seq: int, timestamp: int, ssrc: int = 0x1234ABCD, mtu: int = 1400
) -> list[bytes]:
    """One access unit as RTP packets (RFC 6184: single NAL unit packets, FU-A above ``mtu``)."""
    payloads: list[bytes] = []
    for unit in units:
        if len(unit) <= mtu:
            payloads.append(unit)
            continue
        header, body = unit[0], unit[1:]
        chunks = [body[i : i + mtu] for i in range(0, len(body), mtu)]
        for i, chunk in enumerate(chunks):
            fu_header = (header & 0x1F) | (0x80 if i == 0 else 0) | (0x40 if i == len(chunks) - 1 else 0)
            payloads.append(bytes([(header & 0xE0) | 28, fu_header]) + chunk)
    packets = []
    for i, payload in enumerate(payloads):
        marker = 0x80 if i == len(payloads) - 1 else 0
        head = struct.pack("!BBHII", 0x80, marker | 96, (seq + i) & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc)
        packets.append(head + payload)
    return packets


# -- the server -------------------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    url: str
    request_line: str
    headers: dict[str, str]
    raw: str  # the whole request head as received
    authorized: bool = False  # a SETUP/PLAY/TEARDOWN that passed authentication


def _digest(algorithm: str, text: str) -> str:
    name = algorithm.upper().removesuffix("-SESS")
    return (hashlib.sha256 if name == "SHA-256" else hashlib.md5)(text.encode()).hexdigest()


_PARAM_RE = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def _auth_params(value: str) -> dict[str, str]:
    return {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)) for m in _PARAM_RE.finditer(value)
    }


@dataclass
class FakeRtspCamera:
    username: str = DEFAULT_USERNAME
    password: str = field(default=DEFAULT_PASSWORD, repr=False)
    port: int = 0
    host: str = HOST
    mode: Mode = "normal"
    auth: Auth = "digest"
    algorithm: str = "MD5"
    qop: str | None = "auth"
    path: str = DEFAULT_PATH
    auth_options: bool = False
    framesize: bool = True
    echo: Echo = ""
    width: int = 1920
    height: int = 1080
    video: bool = False  # serve a real H.264 stream (SETUP/PLAY, RTP over the RTSP connection)

    requests: list[RecordedRequest] = field(default_factory=list)
    connections: int = 0
    started: bool = False
    _nonces: set[str] = field(default_factory=set, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _server: asyncio.AbstractServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set, repr=False)
    _players: set[asyncio.Future[None]] = field(default_factory=set, repr=False)

    @property
    def rtsp_url(self) -> str:
        """The stream URL, without credentials."""
        return f"rtsp://{self.host}:{self.port}{self.path}"

    url = rtsp_url

    # -- lifecycle --

    def start(self) -> FakeRtspCamera:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(asyncio.start_server(self._handle, self.host, self.port))
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-rtsp", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        self.started = True
        return self

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None or not self.started:
            return
        self.started = False

        async def shutdown() -> None:
            server.close()
            for player in list(self._players):
                player.cancel()
            for writer in list(self._writers):
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeRtspCamera:
        return self if self.started else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- protocol --

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                head = await self._read_head(reader)
                if head is None:
                    return
                if self.mode == "silent":
                    continue  # read everything, answer nothing
                request = self._record(head)
                length = int(request.headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                writer.write(self._respond(request))
                await writer.drain()
                if self.video and request.method == "PLAY" and request.authorized:
                    self._players.add(asyncio.ensure_future(self._play(writer)))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    async def _read_head(reader: asyncio.StreamReader) -> str | None:
        lines: list[str] = []
        while True:
            line = await reader.readline()
            if not line:
                return None
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            if text == "" and not lines:
                continue
            if text == "":
                return "\r\n".join(lines)
            lines.append(text)

    def _record(self, head: str) -> RecordedRequest:
        first, *rest = head.split("\r\n")
        parts = first.split(" ")
        headers: dict[str, str] = {}
        for line in rest:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        request = RecordedRequest(
            method=parts[0] if parts else "",
            url=parts[1] if len(parts) > 1 else "",
            request_line=first,
            headers=headers,
            raw=head,
        )
        self.requests.append(request)
        return request

    def _reply(self, cseq: str, status: str, headers: dict[str, str] | None = None, body: str = "") -> bytes:
        lines = [f"RTSP/1.0 {status}", f"CSeq: {cseq}", "Server: FakeRtspCamera/1.0"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        data = body.encode()
        if data:
            lines.append(f"Content-Length: {len(data)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + data

    def _challenge(self, cseq: str, *, stale: bool = False) -> bytes:
        if self.auth == "basic":
            value = f'Basic realm="{REALM}"'
        else:
            nonce = secrets.token_hex(16)
            self._nonces.add(nonce)
            value = f'Digest realm="{REALM}", nonce="{nonce}", algorithm={self.algorithm}'
            if self.qop:
                value += f', qop="{self.qop}"'
            if stale:
                value += ", stale=TRUE"
        return self._reply(cseq, "401 Unauthorized", {"WWW-Authenticate": value})

    def _authorized(self, request: RecordedRequest) -> bool:
        if self.auth == "none":
            return True
        header = request.headers.get("authorization", "")
        if self.auth == "basic":
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return header == f"Basic {expected}"
        if not header.lower().startswith("digest "):
            return False
        p = _auth_params(header[7:])
        if p.get("username") != self.username or p.get("realm") != REALM or p.get("nonce") not in self._nonces:
            return False
        if p.get("uri") != request.url:
            return False
        algorithm = p.get("algorithm", "MD5")
        if algorithm.upper() != self.algorithm.upper():
            return False
        ha1 = _digest(algorithm, f"{self.username}:{REALM}:{self.password}")
        if algorithm.upper().endswith("-SESS"):
            ha1 = _digest(algorithm, f"{ha1}:{p['nonce']}:{p.get('cnonce', '')}")
        ha2 = _digest(algorithm, f"{request.method}:{p['uri']}")
        if self.qop:
            if p.get("qop") != self.qop or not p.get("nc") or not p.get("cnonce"):
                return False
            expected = _digest(algorithm, f"{ha1}:{p['nonce']}:{p['nc']}:{p['cnonce']}:{p['qop']}:{ha2}")
        else:
            expected = _digest(algorithm, f"{ha1}:{p['nonce']}:{ha2}")
        return secrets.compare_digest(expected, p.get("response", ""))

    def _respond(self, request: RecordedRequest) -> bytes:
        cseq = request.headers.get("cseq", "0")
        if not request.request_line.endswith("RTSP/1.0") and not request.request_line.endswith("RTSP/2.0"):
            return self._reply(cseq, "505 RTSP Version Not Supported")
        if request.method == "OPTIONS":
            if self.auth_options and not self._authorized(request):
                return self._challenge(cseq)
            return self._reply(cseq, "200 OK", {"Public": "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN"})
        if request.method == "DESCRIBE":
            if not self._authorized(request):
                return self._challenge(cseq)
            path = "/" + request.url.split("://", 1)[-1].split("/", 1)[-1] if "://" in request.url else request.url
            if path.split("?", 1)[0].rstrip("/") != self.path.rstrip("/"):
                return self._reply(cseq, "404 Not Found")
            if self.echo == "reason":
                return self._reply(cseq, f"403 {request.headers.get('authorization', '')}")
            codec = self.password if self.echo == "codec" else "H264"
            if self.video:
                body = self._video_sdp()
            else:
                body = make_sdp(width=self.width, height=self.height, framesize=self.framesize, codec=codec)
            return self._reply(
                cseq,
                "200 OK",
                {"Content-Base": request.url.rstrip("/") + "/", "Content-Type": "application/sdp"},
                body,
            )
        if self.video and request.method in ("SETUP", "PLAY", "TEARDOWN"):
            if not self._authorized(request):
                return self._challenge(cseq)
            request.authorized = True
            session = {"Session": "FAKE5E55;timeout=60"}
            if request.method == "SETUP":
                if "TCP" not in request.headers.get("transport", "").upper():
                    return self._reply(cseq, "461 Unsupported Transport")
                return self._reply(cseq, "200 OK", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1", **session})
            return self._reply(cseq, "200 OK", session)
        return self._reply(cseq, "405 Method Not Allowed", {"Allow": "OPTIONS, DESCRIBE"})

    def _video_sdp(self) -> str:
        stream = h264_stream(self.width, self.height)
        params = base64.b64encode(stream.sps).decode() + "," + base64.b64encode(stream.pps).decode()
        lines = [
            "v=0",
            f"o=- 1 1 IN IP4 {self.host}",
            "s=Fake Camera Stream",
            "t=0 0",
            "a=control:*",
            "m=video 0 RTP/AVP 96",
            "c=IN IP4 0.0.0.0",
            "a=rtpmap:96 H264/90000",
            f"a=fmtp:96 packetization-mode=1;sprop-parameter-sets={params}",
            "a=control:trackID=1",
        ]
        return "\r\n".join(lines) + "\r\n"

    async def _play(self, writer: asyncio.StreamWriter) -> None:
        """Send the stream (looped, 10 frames a second) as interleaved RTP on channel 0."""
        stream = h264_stream(self.width, self.height)
        seq, timestamp = 1, 0
        with contextlib.suppress(ConnectionError, RuntimeError):
            for _ in range(30):  # three seconds at most
                for units in stream.frames:
                    if writer.is_closing():
                        return
                    for packet in rtp_packets(units, seq=seq, timestamp=timestamp):
                        writer.write(b"$\x00" + struct.pack("!H", len(packet)) + packet)
                        seq += 1
                    timestamp += 9000
                    await writer.drain()
                    await asyncio.sleep(0.1)


def start_in_thread(**kwargs: Any) -> FakeRtspCamera:
    """Start a fake camera on an ephemeral port of 127.0.0.1; ``.stop()`` it after."""
    return FakeRtspCamera(**kwargs).start()


# -- a plain HTTP server, for "not RTSP" --------------------------------------------


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>camera admin page</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def start_http_server() -> Iterator[int]:
    """A real HTTP server (``http.server``) on an ephemeral port; yields the port."""
    server = http.server.ThreadingHTTPServer((HOST, 0), _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="fake-http", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A fake RTSP camera (Digest auth) on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--mode", choices=["normal", "silent"], default="normal")
    parser.add_argument("--echo", choices=["reason", "codec"], default="", help="repeat credentials (see the doc)")
    parser.add_argument("--auth", choices=["digest", "basic", "none"], default="digest")
    parser.add_argument("--algorithm", choices=["MD5", "SHA-256", "MD5-sess", "SHA-256-sess"], default="MD5")
    args = parser.parse_args(argv)
    camera = FakeRtspCamera(
        port=args.port,
        username=args.username,
        password=args.password,
        mode=args.mode,
        auth=args.auth,
        algorithm=args.algorithm,
        echo=args.echo,
    ).start()
    print(f"fake_rtsp: listening on {camera.rtsp_url} (user {camera.username}, {args.auth}, {args.mode})", flush=True)
    serve_until_interrupted(camera.stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
