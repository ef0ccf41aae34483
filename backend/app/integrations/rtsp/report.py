"""What a camera test tells the user, as the RTSP probe and the API's camera-test
answer share it: one model, pure (no I/O), so schemas may build on it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.integrations.rtsp.auth import AuthKind

ProbeErrorCode = Literal["auth_failed", "unreachable", "timeout", "not_rtsp", "rtsp_error", "address_not_allowed"]


class ProbeReport(BaseModel):
    """The outcome of a connection test; ``message`` never holds a credential."""

    success: bool
    message: str
    codecs: list[str] = Field(default_factory=list)
    resolution: str | None = None
    auth: AuthKind | None = None
    latency_ms: int = 0
