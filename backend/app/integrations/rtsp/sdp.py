"""The SDP answer to ``DESCRIBE``: codecs (``a=rtpmap``, static payload types)
and resolution (``a=framesize``, ``a=x-dimensions``, ``a=cliprect``, else the
H.264 SPS in ``sprop-parameter-sets``). Pure: no I/O."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from app.integrations.rtsp.h264 import parse_h264_sps

# RFC 3551 static payload types (those a camera may use without a=rtpmap).
STATIC_PAYLOAD_TYPES = {
    0: "PCMU",
    3: "GSM",
    4: "G723",
    5: "DVI4",
    6: "DVI4",
    7: "LPC",
    8: "PCMA",
    9: "G722",
    10: "L16",
    11: "L16",
    12: "QCELP",
    13: "CN",
    14: "MPA",
    15: "G728",
    16: "DVI4",
    17: "DVI4",
    18: "G729",
    25: "CELB",
    26: "JPEG",
    28: "NV",
    31: "H261",
    32: "MPV",
    33: "MP2T",
    34: "H263",
}


@dataclass
class SdpMedia:
    kind: str  # video, audio, application, ...
    formats: list[str]
    rtpmap: dict[str, str] = field(default_factory=dict)  # payload type -> encoding name
    fmtp: dict[str, str] = field(default_factory=dict)  # payload type -> parameters
    attributes: list[tuple[str, str]] = field(default_factory=list)

    def codecs(self) -> list[str]:
        names = []
        for fmt in self.formats:
            name = self.rtpmap.get(fmt)
            if name is None and fmt.isdigit():
                name = STATIC_PAYLOAD_TYPES.get(int(fmt))
            if name:
                names.append(name.upper())
        return names


@dataclass
class SdpInfo:
    media: list[SdpMedia]
    codecs: list[str]
    resolution: str | None


_DIM_RE = re.compile(r"^\s*(?:\S+\s+)?(\d{1,5})\s*[-x,]\s*(\d{1,5})\s*$")


def parse_sdp(text: str) -> SdpInfo:
    """Codecs of the audio and video streams, and the video resolution if any."""
    media: list[SdpMedia] = []
    session_attrs: list[tuple[str, str]] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:]
        if kind == "m":
            fields = value.split()
            if len(fields) >= 3:
                media.append(SdpMedia(kind=fields[0].lower(), formats=fields[3:]))
        elif kind == "a":
            name, _, attr_value = value.partition(":")
            target = media[-1].attributes if media else session_attrs
            target.append((name.lower(), attr_value))
            if media and name.lower() in ("rtpmap", "fmtp"):
                pt, _, rest = attr_value.strip().partition(" ")
                if name.lower() == "rtpmap":
                    media[-1].rtpmap[pt] = rest.split("/", 1)[0].strip()
                else:
                    media[-1].fmtp[pt] = rest.strip()
    codecs: list[str] = []
    for m in media:
        if m.kind in ("video", "audio"):
            for codec in m.codecs():
                if codec not in codecs:
                    codecs.append(codec)
    return SdpInfo(media=media, codecs=codecs, resolution=_resolution(media, session_attrs))


def _resolution(media: list[SdpMedia], session_attrs: list[tuple[str, str]]) -> str | None:
    videos = [m for m in media if m.kind == "video"]
    for attrs in [m.attributes for m in videos] + [session_attrs]:
        for name, value in attrs:
            size: tuple[int, int] | None = None
            if name in ("framesize", "x-dimensions"):
                match = _DIM_RE.match(value)
                if match:
                    size = (int(match.group(1)), int(match.group(2)))
            elif name == "cliprect":
                numbers = [p.strip() for p in value.split(",")]
                if len(numbers) == 4 and all(p.lstrip("-").isdigit() for p in numbers):
                    top, left, bottom, right = (int(p) for p in numbers)
                    size = (right - left, bottom - top)
            if size and size[0] > 0 and size[1] > 0:
                return f"{size[0]}x{size[1]}"
    for m in videos:
        for pt, name in m.rtpmap.items():
            if name.upper() != "H264":
                continue
            sps_size = _sps_from_fmtp(m.fmtp.get(pt, ""))
            if sps_size:
                return f"{sps_size[0]}x{sps_size[1]}"
    return None


def _sps_from_fmtp(fmtp: str) -> tuple[int, int] | None:
    for param in fmtp.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() != "sprop-parameter-sets":
            continue
        for encoded in value.split(","):
            try:
                nal = base64.b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4), validate=True)
            except ValueError:
                continue
            if nal and nal[0] & 0x1F == 7:
                try:
                    return parse_h264_sps(nal)
                except ValueError:
                    return None
    return None
