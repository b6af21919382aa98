"""`POST /v1/participants/{id}/sign-in-link`: staff hand a person a link instead of a key."""

from __future__ import annotations

from fastapi import APIRouter, Request

from assistant.signin import service
from assistant.signin.models import SignInLinkOut
from assistant.web import DB, Services, StaffCaller

router = APIRouter(prefix="/v1", tags=["participants"])


def public_base_url(request: Request, configured: str | None) -> str:
    """Where people reach the app: TANDEM_PUBLIC_URL when set (behind a proxy), else the
    address this request came to."""
    return (configured or str(request.base_url)).rstrip("/")


@router.post("/participants/{participant_id}/sign-in-link", response_model=SignInLinkOut)
def issue_sign_in_link(
    participant_id: str, request: Request, db: DB, caller: StaffCaller, services: Services
) -> SignInLinkOut:
    token, expires_at = service.issue_link(
        db, actor=caller, participant_id=participant_id, now=services.clock.now()
    )
    base = public_base_url(request, services.settings.public_url)
    return SignInLinkOut(url=f"{base}/sign-in/link/{token}", expires_at=expires_at)
