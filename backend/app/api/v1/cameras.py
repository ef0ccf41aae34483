"""Cameras: CRUD and the RTSP / USB connection tests. See docs/API.md "Cameras".

The two connection tests open connections to addresses a client chooses, so
they are rate limited per client (:data:`CONNECTION_TEST_LIMIT`): the API
cannot be used to sweep a network quickly.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from starlette.concurrency import run_in_threadpool

from app.api.deps import AuditDep, limit_secret_changes, private_image
from app.core import rate_limit
from app.core.auth import PrincipalDep, viewer_allowed
from app.core.db import SessionDep
from app.schemas.camera import (
    MASK,
    CameraBrief,
    CameraCreate,
    CameraRead,
    CameraTestRequest,
    CameraTestResult,
    CameraUpdate,
)
from app.schemas.errors import RATE_LIMITED
from app.schemas.types import Id
from app.services import camera_health, camera_service

router = APIRouter(tags=["cameras"])

CONNECTION_TEST_LIMIT = "30/minute"
_test_limit = Depends(rate_limit.rate_limit(CONNECTION_TEST_LIMIT, scope="camera-test", what="camera connection tests"))


@router.get("/cameras", response_model=list[CameraRead] | list[CameraBrief])
@viewer_allowed
def list_cameras(session: SessionDep, principal: PrincipalDep) -> list[CameraRead] | list[CameraBrief]:
    cameras = camera_service.list_cameras(session)
    if principal.role != "admin":
        return [CameraBrief.model_validate(c.model_dump()) for c in cameras]
    return cameras


def _password_change(body: CameraCreate | CameraUpdate) -> str | None:
    """How the request changes the stored password: "set", "removed" or ``None`` (kept)."""
    if "password" not in body.model_fields_set and "rtsp_url" not in body.model_fields_set:
        return None
    text = body.password_text()
    if text is None or text == "":
        return "removed" if "password" in body.model_fields_set and isinstance(body, CameraUpdate) else None
    return None if text == MASK else "set"


@router.post("/cameras", response_model=CameraRead, status_code=status.HTTP_201_CREATED, responses=RATE_LIMITED)
def create_camera(body: CameraCreate, request: Request, session: SessionDep, audit: AuditDep) -> CameraRead:
    change = _password_change(body)
    if change:
        limit_secret_changes(request)
    camera = camera_service.create_camera(session, data=body)
    if change:
        audit("credential_change", f"camera {camera.id} password {change}")
    return camera


# Declared before /cameras/{camera_id} routes so "test" is never read as an id.
@router.post("/cameras/test", response_model=CameraTestResult, dependencies=[_test_limit], responses=RATE_LIMITED)
async def test_unsaved_camera(body: CameraTestRequest, audit: AuditDep) -> CameraTestResult:
    result = await camera_service.connection_test_details(details=body)
    await run_in_threadpool(audit, "camera_test", "unsaved camera", "ok" if result.success else "failed")
    return result


@router.get("/cameras/{camera_id:int}", response_model=CameraRead | CameraBrief)
@viewer_allowed
def read_camera(camera_id: Id, session: SessionDep, principal: PrincipalDep) -> CameraRead | CameraBrief:
    camera = camera_service.get_camera(session, camera_id=camera_id)
    if principal.role != "admin":
        return CameraBrief.model_validate(camera.model_dump())
    return camera


@router.put("/cameras/{camera_id:int}", response_model=CameraRead, responses=RATE_LIMITED)
def update_camera(
    camera_id: Id, body: CameraUpdate, request: Request, session: SessionDep, audit: AuditDep
) -> CameraRead:
    change = _password_change(body)
    if change:
        limit_secret_changes(request)
    camera = camera_service.update_camera(session, camera_id=camera_id, changes=body)
    if change:
        audit("credential_change", f"camera {camera_id} password {change}")
    return camera


@router.delete("/cameras/{camera_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_camera(camera_id: Id, session: SessionDep, audit: AuditDep) -> Response:
    camera_service.delete_camera(session, camera_id=camera_id)
    audit("credential_change", f"camera {camera_id} deleted with its password")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/cameras/{camera_id:int}/test", response_model=CameraTestResult, dependencies=[_test_limit], responses=RATE_LIMITED
)
async def test_saved_camera(camera_id: Id, session: SessionDep, audit: AuditDep) -> CameraTestResult:
    result = await camera_service.connection_test(session, camera_id=camera_id)
    await run_in_threadpool(audit, "camera_test", f"camera {camera_id}", "ok" if result.success else "failed")
    return result


@router.get(
    "/cameras/{camera_id:int}/snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "the frame of the camera's last successful test"}},
)
@viewer_allowed
def read_camera_snapshot(camera_id: Id, session: SessionDep) -> Response:
    """The camera's last snapshot, decrypted for this answer only (never cached)."""
    return private_image(
        lambda: (camera_health.read_snapshot(session, camera_id), "image/jpeg"),
        undecryptable="The snapshot cannot be decrypted with the configured keys: test the camera again.",
        code="snapshot_undecryptable",
    )
