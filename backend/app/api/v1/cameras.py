"""Cameras: CRUD and the RTSP / USB connection tests. See docs/API.md "Cameras".

The two connection tests open connections to addresses a client chooses, so
they are rate limited per client (:data:`CONNECTION_TEST_LIMIT`): the API
cannot be used to sweep a network quickly.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Response, status

from app.core import rate_limit
from app.core.auth import PrincipalDep, viewer_allowed
from app.core.db import SessionDep
from app.schemas.camera import CameraBrief, CameraCreate, CameraRead, CameraTestRequest, CameraTestResult, CameraUpdate
from app.services import camera_service

router = APIRouter(tags=["cameras"])

CONNECTION_TEST_LIMIT = "30/minute"
_test_limit = Depends(rate_limit.rate_limit(CONNECTION_TEST_LIMIT, scope="camera-test", what="camera connection tests"))


def setup_app(app: FastAPI) -> None:
    rate_limit.install(app)


@router.get("/cameras", response_model=list[CameraRead] | list[CameraBrief])
@viewer_allowed
def list_cameras(session: SessionDep, principal: PrincipalDep) -> list[CameraRead] | list[CameraBrief]:
    cameras = camera_service.list_cameras(session)
    if principal.role != "admin":
        return [CameraBrief.model_validate(c.model_dump()) for c in cameras]
    return cameras


@router.post("/cameras", response_model=CameraRead, status_code=status.HTTP_201_CREATED)
def create_camera(body: CameraCreate, session: SessionDep) -> CameraRead:
    return camera_service.create_camera(session, data=body)


# Declared before /cameras/{camera_id} routes so "test" is never read as an id.
@router.post("/cameras/test", response_model=CameraTestResult, dependencies=[_test_limit])
async def test_unsaved_camera(body: CameraTestRequest) -> CameraTestResult:
    return await camera_service.connection_test_details(details=body)


@router.get("/cameras/{camera_id}", response_model=CameraRead | CameraBrief)
@viewer_allowed
def read_camera(camera_id: int, session: SessionDep, principal: PrincipalDep) -> CameraRead | CameraBrief:
    camera = camera_service.get_camera(session, camera_id=camera_id)
    if principal.role != "admin":
        return CameraBrief.model_validate(camera.model_dump())
    return camera


@router.put("/cameras/{camera_id}", response_model=CameraRead)
def update_camera(camera_id: int, body: CameraUpdate, session: SessionDep) -> CameraRead:
    return camera_service.update_camera(session, camera_id=camera_id, changes=body)


@router.delete("/cameras/{camera_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_camera(camera_id: int, session: SessionDep) -> Response:
    camera_service.delete_camera(session, camera_id=camera_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/cameras/{camera_id}/test", response_model=CameraTestResult, dependencies=[_test_limit])
async def test_saved_camera(camera_id: int, session: SessionDep) -> CameraTestResult:
    return await camera_service.connection_test(session, camera_id=camera_id)
