"""``POST /api/v1/ai/test-key`` and ``POST /api/v1/ai/describe``.

Provider calls go through the app's one shared HTTP client (``app.state.ai_http``,
opened and closed by the lifespan in :mod:`app.main`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from app.api.deps import DESCRIBE_LIMIT, PROVIDER_NAMES, AuditDep
from app.core import rate_limit
from app.core.db import SessionDep
from app.schemas.ai import DescribeAttempt, DescriptionRead, KeyTestCreate, KeyTestRead
from app.schemas.errors import RATE_LIMITED, UNAVAILABLE
from app.schemas.secrets import is_masked_hint
from app.services import ai_service
from app.services.ai_providers import ProviderHttp

router = APIRouter(prefix="/ai", tags=["ai"])

# Per address and per account: each description spends the owner's provider credit.
_describe_limit = Depends(
    rate_limit.rate_limit(DESCRIBE_LIMIT, scope="ai-describe", what="image descriptions", per_user=True)
)

KEY_TEST_LIMIT = "10/minute"


def _http(request: Request) -> ProviderHttp | None:
    http = getattr(request.app.state, "ai_http", None)
    return http if isinstance(http, ProviderHttp) else None


@router.post(
    "/test-key",
    response_model=KeyTestRead,
    dependencies=[Depends(rate_limit.rate_limit(KEY_TEST_LIMIT, scope="ai-test-key", what="key tests"))],
    responses=RATE_LIMITED,
)
async def test_key(body: KeyTestCreate, request: Request, session: SessionDep, audit: AuditDep) -> KeyTestRead:
    settings = request.app.state.settings
    key = body.api_key.get_secret_value() if body.api_key is not None else None
    name = f"{PROVIDER_NAMES.get(body.provider, body.provider)} key"
    if key is not None and is_masked_hint(key):
        key = None  # the masked form sent back: test the stored key
    if key is not None:
        name += " (not saved)"
    result = await ai_service.test_key(session, settings, provider=body.provider, api_key=key, http=_http(request))
    await run_in_threadpool(audit, "key_test", name, "ok" if result.valid else "failed")
    return KeyTestRead(provider=result.provider, valid=result.valid, message=result.message, outcome=result.outcome)


@router.post(
    "/describe",
    response_model=DescriptionRead,
    dependencies=[
        Depends(rate_limit.rate_limit(DESCRIBE_LIMIT, scope="ai-describe", what="image descriptions", per_user=True))
    ],
    responses={**RATE_LIMITED, **UNAVAILABLE},
)
async def describe(request: Request, session: SessionDep, image: UploadFile = File(...)) -> DescriptionRead:
    data = await image.read(ai_service.MAX_IMAGE_BYTES + 1)
    try:
        result = await ai_service.describe_image(
            session,
            request.app.state.settings,
            image=data,
            content_type=image.content_type or "",
            http=_http(request),
        )
    except ai_service.AIUnavailable:
        # Keep what the attempts taught about each key's health.
        await run_in_threadpool(session.commit)
        raise
    return DescriptionRead(
        description=result.description,
        provider=result.provider,
        model=result.model,
        attempts=[DescribeAttempt(**attempt.as_dict()) for attempt in result.attempts],
    )
