"""How each camera is doing: its last connection test, remembered, and the
frame its last successful test grabbed (a small JPEG, stored encrypted).

The test itself is :mod:`app.services.camera_service`; the frame comes from
:mod:`app.integrations.rtsp.snapshot`, opened on the address the probe's
outbound check allowed (never resolved again). Services only flush.
"""

from __future__ import annotations

import base64
from typing import Any

import anyio
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.encryption import open_blob, seal_blob
from app.core.errors import NotFoundError
from app.core.secret_fields import camera_snapshot_key_context
from app.integrations.rtsp import snapshot
from app.integrations.rtsp.client import ProbeResult
from app.integrations.rtsp.url import RtspUrl
from app.models.camera import Camera, CameraSnapshot
from app.schemas.camera import CameraTestResult


async def grab_after(
    probe: ProbeResult, target: RtspUrl, *, username: str | None, password: str | None
) -> snapshot.Snapshot | None:
    """A frame from the camera the probe just reached (in a worker thread; bounded in time)."""
    if not probe.success or probe.address is None:
        return None
    url = snapshot.stream_url(
        scheme=target.scheme,
        address=probe.address,
        port=target.effective_port,
        target=target.path,
        username=username,
        password=password,
    )
    return await anyio.to_thread.run_sync(snapshot.grab, url)


def last_test_of(result: CameraTestResult) -> dict[str, Any]:
    return {
        "success": result.success,
        "error_code": result.error_code,
        "message": result.message,
        "codecs": list(result.codecs),
        "resolution": result.resolution,
        "at": utcnow().isoformat(),
    }


def remember(session: Session, *, camera_id: int, result: CameraTestResult) -> None:
    """Store the test's outcome on the camera, and its frame (encrypted) when one came."""
    camera = session.get(Camera, camera_id)
    if camera is None:  # deleted while it was being tested
        return
    camera.last_test = last_test_of(result)
    if result.snapshot is not None:
        jpeg = base64.b64decode(result.snapshot.removeprefix(snapshot.DATA_URL_PREFIX))
        data_key, sealed = seal_blob(jpeg, context=camera_snapshot_key_context(camera_id))
        row = session.get(CameraSnapshot, camera_id)
        if row is None:
            session.add(CameraSnapshot(camera_id=camera_id, data_key=data_key, data=sealed))
        else:
            row.data_key, row.data = data_key, sealed
        camera.snapshot_at = utcnow()
    session.flush()


def read_snapshot(session: Session, camera_id: int) -> bytes:
    """The camera's last snapshot (JPEG), decrypted for this answer. Raises
    :class:`NotFoundError` when it has none, ``DecryptionError`` when it cannot be opened."""
    row = session.get(CameraSnapshot, camera_id)
    if row is None:
        raise NotFoundError(f"Camera {camera_id} has no snapshot yet: test it to take one.")
    return open_blob(row.data_key, row.data, context=camera_snapshot_key_context(camera_id))
