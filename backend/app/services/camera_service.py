"""Cameras: CRUD with an encrypted password, and the connection test.

* The password is stored ``encrypted:`` bound to ``camera_password_context(id)``:
  a new row is flushed first (to get its id), then the encrypted value is set,
  so no plaintext ever reaches the database. Services only flush; the request's
  session commits.
* Listing and reading never decrypt. ``credential_status`` comes from
  :func:`credential_status`: the token's structure and its Fernet HMAC are
  checked against the configured keys (authentication, no decryption: no
  plaintext is produced). A tampered token, or one made under a key no longer
  configured, shows ``"undecryptable"``. A valid token copied from another row
  passes this check and is caught by the context check when the camera is
  tested (``credentials_undecryptable``).
* The password is decrypted in exactly one place, :func:`_connect`, the moment
  the RTSP connection is opened.
* Where a camera may be is the outbound policy in :mod:`app.integrations.rtsp`
  (link-local / metadata, unspecified, multicast and broadcast addresses are
  refused at save and before any connection; the LAN and loopback are fine).
* A stored password is never carried to a new address: changing the scheme,
  host or port of the URL requires the password in the same request (422
  ``password_required``).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import anyio
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import encryption
from app.core.errors import NotFoundError, ValidationFailed
from app.core.secret_fields import camera_password_context
from app.integrations.rtsp import client as rtsp_client
from app.integrations.rtsp.url import BlockedAddressError, parse_rtsp_url
from app.models.camera import Camera
from app.schemas.camera import (
    MASK,
    CameraCreate,
    CameraRead,
    CameraTestRequest,
    CameraTestResult,
    CameraUpdate,
    CredentialStatus,
    is_mask,
    type_field_problem,
)

logger = logging.getLogger("app.cameras")

# Where USB cameras appear (``/dev/video<N>``). Tests point this at a temporary folder.
DEVICE_DIR = Path("/dev")

# nosec B105: a message for the owner, not a password.
PASSWORD_REQUIRED_MESSAGE = "The camera address changed: enter the password again to send it to the new host."  # noqa: S105  # nosec B105
REENTER_MESSAGE = "The stored password can no longer be decrypted: the password must be re-entered."


# -- credential status without decryption -----------------------------------------


class _MacCache:
    """Remembers which stored tokens authenticated under the current key ring.

    Keyed by the token text; emptied whenever the key ring is rebuilt (key
    change, rotation set-up), so a key that is no longer configured is noticed
    at once. Bounded, so a huge table cannot grow it without limit.
    """

    MAX_ENTRIES = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ring: object | None = None
        self._known: dict[str, bool] = {}

    def _table(self) -> dict[str, bool]:
        ring = encryption.keyring_generation()
        if self._ring is not ring:
            with self._lock:
                if self._ring is not ring:
                    self._known = {}
                    self._ring = ring
        return self._known

    def statuses(self, tokens: list[str | None]) -> list[CredentialStatus]:
        """``credential_status`` of many stored values, the key ring looked up once."""
        known = self._table()
        out: list[CredentialStatus] = []
        for token in tokens:
            if not token:
                out.append("none")
                continue
            result = known.get(token)
            if result is None:
                result = encryption.authenticates(token)
                if len(known) >= self.MAX_ENTRIES:
                    known.clear()
                known[token] = result
            out.append("set" if result else "undecryptable")
        return out

    def remember(self, token: str) -> None:
        """A token this process just wrote under the primary key."""
        ring = encryption.keyring_generation()
        if self._ring is ring:
            self._known[token] = True


_mac_cache = _MacCache()


def credential_status(stored: str | None) -> CredentialStatus:
    """``none``, ``set`` (a configured key authenticates the token) or ``undecryptable``."""
    return _mac_cache.statuses([stored])[0]


# -- reading -------------------------------------------------------------------------


def _read(camera: Camera, status: CredentialStatus | None = None) -> CameraRead:
    return CameraRead(
        id=camera.id,
        name=camera.name,
        type=camera.type,
        rtsp_url=camera.rtsp_url,
        username=camera.username,
        password=MASK if camera.password else None,
        device_index=camera.device_index,
        is_enabled=camera.is_enabled,
        credential_status=status if status is not None else credential_status(camera.password),
        created_at=camera.created_at,
        updated_at=camera.updated_at,
    )


def _get(session: Session, camera_id: int) -> Camera:
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise NotFoundError(f"Camera {camera_id} not found")
    return camera


def list_cameras(session: Session) -> list[CameraRead]:
    cameras = list(session.scalars(select(Camera).order_by(Camera.id)))
    statuses = _mac_cache.statuses([camera.password for camera in cameras])
    return [_read(camera, status) for camera, status in zip(cameras, statuses, strict=True)]


def get_camera(session: Session, *, camera_id: int) -> CameraRead:
    return _read(_get(session, camera_id))


# -- writing -------------------------------------------------------------------------


def _set_password(camera: Camera, plaintext: str | None) -> None:
    """Encrypt bound to this row (it must have its id) or remove."""
    if not plaintext:
        camera.password = None
        return
    token = encryption.encrypt(plaintext, context=camera_password_context(camera.id))
    camera.password = token
    _mac_cache.remember(token)


def create_camera(session: Session, *, data: CameraCreate) -> CameraRead:
    camera = Camera(
        name=data.name,
        type=data.type,
        rtsp_url=data.rtsp_url if data.type == "rtsp" else None,
        username=data.username if data.type == "rtsp" else None,
        device_index=data.device_index if data.type == "usb" else None,
        is_enabled=data.is_enabled,
    )
    session.add(camera)
    session.flush()  # the id binds the encryption context
    if data.type == "rtsp":
        _set_password(camera, data.password_text())
        session.flush()
    logger.info("Camera %s created (%s)", camera.id, camera.type)
    return _read(camera)


def _endpoint(url: str | None) -> tuple[str, str, int] | None:
    if not url:
        return None
    try:
        return parse_rtsp_url(url).endpoint
    except ValueError:
        return None


def _require_fitting_fields(
    kind: str, *, rtsp_url: str | None, username: str | None, password: str | None, device_index: int | None
) -> None:
    problem = type_field_problem(
        kind, rtsp_url=rtsp_url, username=username, password=password, device_index=device_index
    )
    if problem is not None:
        field, message = problem
        raise ValidationFailed(f"Invalid request: {field}: {message}", field=field)


def update_camera(session: Session, *, camera_id: int, changes: CameraUpdate) -> CameraRead:
    camera = _get(session, camera_id)
    given = changes.given()
    new_type = changes.type if "type" in given and changes.type else camera.type

    password_given = "password" in given
    password = changes.password_text() if password_given else None
    keep_password = not password_given or is_mask(password)

    if new_type == "usb":
        device_index = changes.device_index if "device_index" in given else camera.device_index
        _require_fitting_fields(
            "usb",
            rtsp_url=changes.rtsp_url if "rtsp_url" in given else None,
            username=changes.username if "username" in given else None,
            password=None if keep_password else password,
            device_index=device_index,
        )
        camera.type = "usb"
        camera.device_index = device_index
        camera.rtsp_url = None
        camera.username = None
        camera.password = None
    else:
        new_url = changes.rtsp_url if "rtsp_url" in given else camera.rtsp_url
        _require_fitting_fields(
            "rtsp",
            rtsp_url=new_url,
            username=None,
            password=None,
            device_index=changes.device_index if "device_index" in given else None,
        )
        was_rtsp = camera.type == "rtsp"
        moved = was_rtsp and _endpoint(camera.rtsp_url) != _endpoint(new_url)
        if moved and keep_password and camera.password:
            # Nothing is sent anywhere, and nothing is changed.
            raise ValidationFailed(PASSWORD_REQUIRED_MESSAGE, code="password_required", field="password")
        camera.type = "rtsp"
        camera.device_index = None
        camera.rtsp_url = new_url
        if "username" in given:
            camera.username = changes.username
        if not keep_password:
            _set_password(camera, password)
        elif not was_rtsp:
            camera.password = None
    if "name" in given and changes.name is not None:
        camera.name = changes.name
    if "is_enabled" in given and changes.is_enabled is not None:
        camera.is_enabled = changes.is_enabled
    session.flush()
    logger.info("Camera %s updated (%s)", camera.id, ", ".join(sorted(given)) or "nothing")
    return _read(camera)


def delete_camera(session: Session, *, camera_id: int) -> None:
    camera = _get(session, camera_id)
    session.delete(camera)
    session.flush()
    logger.info("Camera %s deleted", camera_id)


# -- connection test ---------------------------------------------------------------


def _usb_result(device_index: int | None, device_dir: Path | None = None) -> CameraTestResult:
    if device_index is None:
        return CameraTestResult(success=False, error_code="invalid", message="The USB camera has no device index.")
    path = (device_dir or DEVICE_DIR) / f"video{device_index}"
    if path.exists():
        return CameraTestResult(success=True, message=f"Device {path} found.")
    return CameraTestResult(
        success=False,
        error_code="no_device",
        message=f"No device {path}: check that the camera is plugged in and the index is right.",
    )


def _result(probe: rtsp_client.ProbeResult) -> CameraTestResult:
    """The API's answer: the probe's fields (its status code stays internal)."""
    return CameraTestResult.model_validate(probe, from_attributes=True)


async def _connect(
    url: str, *, username: str | None, stored_password: str | None, camera_id: int | None, timeout: float | None
) -> CameraTestResult:
    """Open the connection; a stored password is decrypted here, and only here."""
    try:
        target = parse_rtsp_url(url)
    except BlockedAddressError as exc:  # saved before the policy existed
        return CameraTestResult(success=False, error_code="address_not_allowed", message=f"The stored RTSP URL {exc}.")
    except ValueError as exc:
        return CameraTestResult(success=False, error_code="invalid", message=f"The stored RTSP URL {exc}.")
    password: str | None = None
    if stored_password is not None and camera_id is not None:
        try:
            password = encryption.decrypt(stored_password, context=camera_password_context(camera_id))
        except encryption.DecryptionError:
            logger.warning("Camera %s: the stored password cannot be decrypted", camera_id)
            return CameraTestResult(success=False, error_code="credentials_undecryptable", message=REENTER_MESSAGE)
    probe = await rtsp_client.probe(target, username=username, password=password, timeout=timeout)
    return _result(probe)


def _stored_connection(session: Session, camera_id: int) -> CameraTestResult | tuple[str, str | None, str | None, int]:
    """What a stored camera's test needs (URL, username, stored password, id),
    or the answer when there is nothing to connect to. Ends the read
    transaction: nothing is held open while connecting."""
    camera = _get(session, camera_id)
    if camera.type == "usb":
        return _usb_result(camera.device_index)
    if not camera.rtsp_url:
        return CameraTestResult(success=False, error_code="invalid", message="The camera has no RTSP URL.")
    stored = camera.rtsp_url, camera.username, camera.password, camera.id
    session.rollback()
    return stored


async def connection_test(session: Session, *, camera_id: int, timeout: float | None = None) -> CameraTestResult:
    """Test a stored camera with its stored password. The database work runs in
    a worker thread, like the AI and event paths: never on the event loop."""
    stored = await anyio.to_thread.run_sync(_stored_connection, session, camera_id)
    if isinstance(stored, CameraTestResult):
        return stored
    url, username, password, cid = stored
    return await _connect(url, username=username, stored_password=password, camera_id=cid, timeout=timeout)


async def connection_test_details(*, details: CameraTestRequest, timeout: float | None = None) -> CameraTestResult:
    """Test connection details that are not saved; nothing is stored."""
    if details.type == "usb":
        return _usb_result(details.device_index)
    if not details.rtsp_url:  # the schema requires it for rtsp
        return CameraTestResult(success=False, error_code="invalid", message="The camera has no RTSP URL.")
    try:
        target = parse_rtsp_url(details.rtsp_url)
    except BlockedAddressError as exc:
        return CameraTestResult(success=False, error_code="address_not_allowed", message=f"The RTSP URL {exc}.")
    except ValueError as exc:
        return CameraTestResult(success=False, error_code="invalid", message=f"The RTSP URL {exc}.")
    probe = await rtsp_client.probe(
        target, username=details.username, password=details.password_text(), timeout=timeout
    )
    return _result(probe)
