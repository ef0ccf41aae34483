"""The RTSP client against the fake camera on 127.0.0.1, and its pure helpers."""

from __future__ import annotations

import base64

import pytest

from app.integrations.rtsp import client as rtsp_client
from app.integrations.rtsp.auth import choose_challenge, digest_response, parse_challenges
from app.integrations.rtsp.client import probe
from app.integrations.rtsp.h264 import parse_h264_sps
from app.integrations.rtsp.sdp import parse_sdp
from app.integrations.rtsp.url import parse_rtsp_url
from tests.conftest import assert_no_leak, captured_logs
from tests.fakes.fake_rtsp import make_h264_sps, make_sdp, start_in_thread

# -- Digest arithmetic --------------------------------------------------------------


def test_digest_matches_rfc2617_published_example() -> None:
    # RFC 2617 section 3.5.
    assert (
        digest_response(
            username="Mufasa",
            password="Circle Of Life",
            realm="testrealm@host.com",
            nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
            method="GET",
            uri="/dir/index.html",
            qop="auth",
            nc="00000001",
            cnonce="0a4f113b",
        )
        == "6629fae49393a05397450978507c4ef1"
    )


def test_digest_matches_rfc7616_sha256_example() -> None:
    # RFC 7616 section 3.9.1 (SHA-256).
    assert (
        digest_response(
            username="Mufasa",
            password="Circle of Life",
            realm="http-auth@example.org",
            nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            method="GET",
            uri="/dir/index.html",
            algorithm="SHA-256",
            qop="auth",
            nc="00000001",
            cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        )
        == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    )


def test_digest_without_qop_is_rfc2069_form() -> None:
    import hashlib

    def md5(text: str) -> str:
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    expected = md5(f"{md5('u:r:p')}:n:{md5('DESCRIBE:rtsp://h/s')}")
    assert digest_response(username="u", password="p", realm="r", nonce="n", method="DESCRIBE", uri="rtsp://h/s") == (
        expected
    )


def test_challenges_parsed_and_strongest_chosen() -> None:
    challenges = parse_challenges(
        [
            'Basic realm="cam"',
            'Digest realm="cam, inc", nonce="abc", algorithm=MD5, qop="auth,auth-int", opaque="o\\"q"',
            'Digest realm="cam", nonce="def", algorithm=SHA-256, qop="auth"',
        ]
    )
    assert [c.scheme for c in challenges] == ["basic", "digest", "digest"]
    assert challenges[1].params == {
        "realm": "cam, inc",
        "nonce": "abc",
        "algorithm": "MD5",
        "qop": "auth,auth-int",
        "opaque": 'o"q',
    }
    chosen = choose_challenge(challenges)
    assert chosen is not None and chosen.params["algorithm"] == "SHA-256"
    # several challenges in one header value
    combined = parse_challenges(['Digest realm="a", nonce="n1", Basic realm="b"'])
    assert [(c.scheme, c.params.get("realm")) for c in combined] == [("digest", "a"), ("basic", "b")]
    basic_only = choose_challenge(parse_challenges(['Basic realm="x"']))
    assert basic_only is not None and basic_only.scheme == "basic"
    assert choose_challenge(parse_challenges(['Bearer realm="x"'])) is None


# -- URLs ------------------------------------------------------------------------------


def test_url_split_and_public_form(canary: object) -> None:
    secret = canary("urlpw")  # type: ignore[operator]
    url = parse_rtsp_url(f"rtsp://admin:{secret}@Cam.Example.lan:8554/Streaming/Channels/101?transport=tcp")
    assert url.username == "admin" and url.password == secret
    assert url.public_url() == "rtsp://cam.example.lan:8554/Streaming/Channels/101?transport=tcp"
    assert url.endpoint == ("rtsp", "cam.example.lan", 8554)
    assert_no_leak(secret, repr(url), url.public_url())
    assert parse_rtsp_url("rtsps://[FD12::1]/s").public_url() == "rtsps://[fd12::1]/s"
    assert parse_rtsp_url("rtsps://[fd12::1]/s").effective_port == 322
    assert parse_rtsp_url("rtsp://10.0.0.2").public_url() == "rtsp://10.0.0.2/"
    # percent-encoded credentials are decoded
    encoded = parse_rtsp_url("rtsp://us%40er:p%3Aw%2Fd@h/")
    assert (encoded.username, encoded.password) == ("us@er", "p:w/d")


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://h/s", "rtsp://"),
        ("rtsp:///stream", "host"),
        ("rtsp://h:70000/s", "port"),
        ("rtsp://h:0/s", "port"),
        ("rtsp://h:abc/s", "port"),
        ("rtsp://bad host/s", "host"),
        ("rtsp://h/a b", "spaces"),
        ("rtsp://" + "a" * 2100, "too long"),
        ("rtsp://h/cam?user=admin&password=fake-query-pw", "query"),
        ("rtsp://h/cam?PWD=fake-query-pw", "query"),
    ],
)
def test_bad_urls_refused_without_echo(url: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle) as info:
        parse_rtsp_url(url)
    assert url not in str(info.value)


# -- SDP and SPS --------------------------------------------------------------------


def test_sdp_codecs_and_framesize() -> None:
    info = parse_sdp(make_sdp())
    assert info.codecs == ["H264", "PCMA"]
    assert info.resolution == "1920x1080"


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("a=x-dimensions:1280,720", "1280x720"),
        ("a=cliprect:0,0,576,704", "704x576"),
        ("a=framesize:97 2560-1440", "2560x1440"),
    ],
)
def test_sdp_resolution_attributes(attribute: str, expected: str) -> None:
    sdp = "v=0\r\ns=x\r\nm=video 0 RTP/AVP 97\r\na=rtpmap:97 H265/90000\r\n" + attribute + "\r\n"
    sdp += "m=audio 0 RTP/AVP 0\r\n"  # static payload type 0 = PCMU, no rtpmap
    info = parse_sdp(sdp)
    assert info.resolution == expected
    assert info.codecs == ["H265", "PCMU"]


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720), (640, 480), (2592, 1944), (3840, 2160)])
def test_resolution_from_h264_sps_alone(width: int, height: int) -> None:
    assert parse_h264_sps(make_h264_sps(width, height)) == (width, height)
    info = parse_sdp(make_sdp(width=width, height=height, framesize=False))
    assert info.resolution == f"{width}x{height}"


def test_sps_of_a_real_baseline_camera() -> None:
    # Baseline profile 640x480 SPS (profile 66), as sent by many cheap cameras:
    # written here with the fake's writer, baseline branch (no chroma fields).
    nal = make_h264_sps(640, 480, profile_idc=66, level_idc=30)
    assert nal[1] == 66
    assert parse_h264_sps(nal) == (640, 480)
    with pytest.raises(ValueError):
        parse_h264_sps(base64.b64decode("aOvjyyLA"))  # a PPS, not an SPS


def test_sdp_without_video_has_no_resolution() -> None:
    info = parse_sdp("v=0\r\nm=audio 0 RTP/AVP 96\r\na=rtpmap:96 MPEG4-GENERIC/16000/1\r\n")
    assert info.codecs == ["MPEG4-GENERIC"] and info.resolution is None


# -- against the fake camera -----------------------------------------------------------


def _no_credentials_in_requests(camera: object, username: str, password: str) -> None:
    for request in camera.requests:  # type: ignore[attr-defined]
        assert "@" not in request.url, "credentials in the request URL"
        assert request.url == camera.rtsp_url  # type: ignore[attr-defined]
        assert password not in request.raw
        assert base64.b64encode(f"{username}:{password}".encode()).decode() not in request.raw


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "MD5-sess"])
async def test_right_password_succeeds_with_sdp_details(canary: object, algorithm: str) -> None:
    password = canary("camera")  # type: ignore[operator]
    with start_in_thread(username="viewer", password=password, algorithm=algorithm) as camera:
        result = await probe(camera.rtsp_url, username="viewer", password=password)
    assert result.success, result.message
    assert result.error_code is None
    assert result.codecs == ["H264", "PCMA"]
    assert result.resolution == "1920x1080"
    assert result.auth == "digest"
    assert result.latency_ms >= 0
    assert [r.method for r in camera.requests] == ["OPTIONS", "DESCRIBE", "DESCRIBE"]
    assert camera.requests[2].headers["authorization"].startswith("Digest ")
    assert f"algorithm={algorithm}" in camera.requests[2].headers["authorization"]
    _no_credentials_in_requests(camera, "viewer", password)
    assert_no_leak(password, result.message, repr(result), captured_logs())


async def test_wrong_password_is_auth_failed(canary: object) -> None:
    right, wrong = canary("right"), canary("wrong")  # type: ignore[operator]
    with start_in_thread(password=right) as camera:
        result = await probe(camera.rtsp_url, username="admin", password=wrong)
    assert not result.success
    assert result.error_code == "auth_failed"
    assert "Authentication failed" in result.message
    assert_no_leak(wrong, result.message, repr(result))
    _no_credentials_in_requests(camera, "admin", wrong)


async def test_no_credentials_when_camera_demands_them() -> None:
    with start_in_thread() as camera:
        result = await probe(camera.rtsp_url)
    assert result.error_code == "auth_failed"
    assert "requires a username and password" in result.message


async def test_credentials_in_url_argument_are_never_sent_in_the_request_line(canary: object) -> None:
    password = canary("inurl")  # type: ignore[operator]
    with start_in_thread(password=password) as camera:
        url = parse_rtsp_url(camera.rtsp_url.replace("rtsp://", f"rtsp://admin:{password}@"))
        result = await probe(url, username=url.username, password=url.password)
    assert result.success
    _no_credentials_in_requests(camera, "admin", password)


async def test_basic_auth_when_the_camera_asks_for_it(canary: object) -> None:
    password = canary("basic")  # type: ignore[operator]
    with start_in_thread(password=password, auth="basic") as camera:
        result = await probe(camera.rtsp_url, username="admin", password=password)
    assert result.success and result.auth == "basic"
    assert "unencrypted" in result.message
    # Basic credentials are sent only after the camera asked for them.
    assert "authorization" not in camera.requests[0].headers
    assert "authorization" not in camera.requests[1].headers
    assert camera.requests[2].headers["authorization"].startswith("Basic ")


async def test_open_camera_needs_no_auth() -> None:
    with start_in_thread(auth="none") as camera:
        result = await probe(camera.rtsp_url, username="admin", password="fake-unused-pw")
    assert result.success and result.auth == "none"
    assert all("authorization" not in r.headers for r in camera.requests)


async def test_camera_that_challenges_options_too(canary: object) -> None:
    password = canary("opts")  # type: ignore[operator]
    with start_in_thread(password=password, auth_options=True, algorithm="SHA-256") as camera:
        result = await probe(camera.rtsp_url, username="admin", password=password)
    assert result.success
    assert [r.method for r in camera.requests] == ["OPTIONS", "OPTIONS", "DESCRIBE"]


async def test_unknown_stream_path_is_reported(canary: object) -> None:
    password = canary("path")  # type: ignore[operator]
    with start_in_thread(password=password) as camera:
        result = await probe(camera.rtsp_url + "-missing", username="admin", password=password)
    assert not result.success and result.error_code == "rtsp_error"
    assert "404" in result.message


async def test_silent_server_times_out_quickly() -> None:
    with start_in_thread(mode="silent") as camera:
        result = await probe(camera.rtsp_url, username="admin", password="fake-x-pw", timeout=0.3)
    assert not result.success
    assert result.error_code == "timeout"
    assert 250 <= result.latency_ms < 1000
    assert camera.connections == 1


async def test_default_timeout_is_five_seconds() -> None:
    assert rtsp_client.DEFAULT_TIMEOUT == 5.0


async def test_rtsps_to_a_plain_port_fails_cleanly() -> None:
    with start_in_thread() as camera:
        result = await probe(camera.rtsp_url.replace("rtsp://", "rtsps://"), timeout=2)
    assert not result.success
    assert result.error_code in ("unreachable", "timeout")


# -- credentials in the query (issue 12, item 8) ------------------------------------


@pytest.mark.parametrize(
    "name",
    ["access_token", "api_key", "auth_token", "sig", "pw", "apikey", "X-Amz-Signature", "passcode", "sessionid", "pin"],
)
def test_a_credential_named_query_parameter_is_refused_naming_it(name: str, canary: object) -> None:
    value = canary("query-cred")  # type: ignore[operator]
    with pytest.raises(ValueError, match="credential in its query string") as info:
        parse_rtsp_url(f"rtsp://cam.example.lan/stream1?channel=1&{name}={value}")
    assert name in str(info.value)
    assert_no_leak(value, str(info.value))


def test_a_token_shaped_query_value_is_refused_whatever_its_name(canary: object) -> None:
    value = canary("t") + "A1"  # type: ignore[operator]
    with pytest.raises(ValueError, match="credential"):
        parse_rtsp_url(f"rtsp://cam.example.lan/live?t={value}")


@pytest.mark.parametrize(
    "query",
    [
        "channel=1&subtype=0",
        "transportmode=unicast&profile=Profile_1",
        "videocodec=h264&resolution=640x480&fps=15&camera=1&compression=30",
        "inst=1&h26x=4",
        "keyframe=1&stream=main",
    ],
)
def test_stream_options_in_the_query_are_kept(query: str) -> None:
    assert parse_rtsp_url(f"rtsp://cam.example.lan/cam/realmonitor?{query}").public_url().endswith("?" + query)
