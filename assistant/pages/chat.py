"""`/chat`: a participant's conversations with the assistant, in the browser.

Every handler calls the chat service the REST routes call, with the signed-in person as
the actor, so the page can do nothing the API would refuse. Without JavaScript a message
is a form post answered with a redirect back to the conversation; with `chat.js` the same
post goes to a `.../stream` twin that answers server-sent events, and the reply is shown
piece by piece while the finished exchange is already saved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.responses import Response

from assistant.chat import service as chat
from assistant.chat.models import ConversationCreate, ConversationDetail, MessageOut
from assistant.chat.openai_protocol import reply_pieces
from assistant.errors import DomainError, NotFound
from assistant.pages.common import CheckedForm, SignedIn, Viewer, render, see_other
from assistant.plans import service as plans
from assistant.plans.models import PlanOut
from assistant.web import DB, AppServices, Services

router = APIRouter(include_in_schema=False)

# The actions in a reply that leave a plan version to look at, accept or revise.
PLAN_ACTIONS = frozenset({"plan_drafted", "plan_revised"})
# The revise form's words become a chat message; this opening makes the assistant read
# them as a change to the plan ("add more reading" alone could be read as a question).
REVISE_OPENING = "Revise the plan: "
CONVERSATIONS_LISTED = 50


@dataclass(frozen=True)
class PlanCard:
    """A plan version a reply drafted or revised, as the card under that reply shows it."""

    plan: PlanOut
    accepted: bool
    superseded_by: int | None  # the newer version, when this one is no longer the latest
    can_accept: bool
    can_revise: bool


@dataclass(frozen=True)
class Entry:
    """One message in the log, with the plan cards its reply left."""

    message: MessageOut
    cards: list[PlanCard]


def _plan_cards(db: DB, viewer: Viewer, message: MessageOut) -> list[PlanCard]:
    if message.role != "assistant":
        return []
    cards: list[PlanCard] = []
    seen: set[tuple[str, int]] = set()
    for action in message.actions:
        plan_id, version = action.get("plan_id"), action.get("version")
        if action.get("type") not in PLAN_ACTIONS or not isinstance(plan_id, str):
            continue
        if not isinstance(version, int) or (plan_id, version) in seen:
            continue
        seen.add((plan_id, version))
        try:
            plan = plans.read_plan(db, actor=viewer.principal, plan_id=plan_id, version=version)
        except NotFound:
            continue  # removed since, or no longer the viewer's to see: no card
        latest = plan.latest_version == plan.version
        owner = plan.owner_id == viewer.principal.id
        cards.append(
            PlanCard(
                plan=plan,
                accepted=plan.status == "active",
                superseded_by=None if latest else plan.latest_version,
                # The same rule the accept service applies; it still has the last word.
                can_accept=owner and latest and plan.status == "draft",
                can_revise=owner and latest and not viewer.is_staff,
            )
        )
    return cards


def _conversation_page(
    request: Request,
    viewer: Viewer,
    db: DB,
    services: AppServices,
    conversation: ConversationDetail | None,
    *,
    status_code: int = 200,
    error: str = "",
    notice: str = "",
    draft: str = "",
) -> Response:
    """`/chat` when `conversation` is None, else that conversation: the same template, so
    an error shown on either keeps what was typed."""
    entries = (
        [Entry(m, _plan_cards(db, viewer, m)) for m in conversation.messages]
        if conversation is not None
        else []
    )
    return render(
        request,
        "chat.html",
        viewer=viewer,
        status_code=status_code,
        active="chat",
        conversation=conversation,
        conversations=chat.list_conversations(
            db, actor=viewer.principal, limit=CONVERSATIONS_LISTED
        ),
        entries=entries,
        error=error,
        notice=notice,
        draft=draft,
        max_chars=services.settings.chat_max_message_chars,
    )


def _message_from(form: CheckedForm) -> str:
    """What the person sent. Not stripped: the service stores the message as typed."""
    content = form.get("content")
    text = content if isinstance(content, str) else ""
    if form.get("revise") and text.strip():
        return REVISE_OPENING + text
    return text


def _refused_message(
    request: Request,
    viewer: Viewer,
    db: DB,
    services: AppServices,
    conversation_id: str | None,
    form: CheckedForm,
) -> Response | None:
    """The page again with the message kept and why it was refused, or None when the
    message is within the limits every chat message is held to."""
    try:
        chat.check_message_text(
            _message_from(form), services.settings, param="content", name="your message"
        )
    except chat.ChatInputError as refused:
        conversation = (
            chat.read_conversation(db, actor=viewer.principal, conversation_id=conversation_id)
            if conversation_id is not None
            else None
        )
        content = form.get("content")
        return _conversation_page(
            request,
            viewer,
            db,
            services,
            conversation,
            status_code=422,
            error=refused.message[:1].upper() + refused.message[1:] + ".",
            draft=content if isinstance(content, str) else "",
        )
    return None


def _send(
    viewer: Viewer, db: DB, services: AppServices, conversation_id: str | None, text: str
) -> tuple[str, MessageOut]:
    """Post the message as the REST route does (in a new conversation when none is
    named); returns the conversation and the assistant's saved reply."""
    if conversation_id is None:
        conversation_id = chat.create_conversation(
            db, actor=viewer.principal, data=ConversationCreate(), now=services.clock.now()
        ).id
    reply = chat.post_message(
        db,
        actor=viewer.principal,
        services=services,
        conversation_id=conversation_id,
        content=text,
    )
    return conversation_id, reply


def _reply_events(conversation_id: str, sent: str, reply: MessageOut) -> Iterator[ServerSentEvent]:
    """The saved exchange as events: the message as stored and who answers, the reply's
    text in the OpenAI stream's pieces, then where it is stored (the script fetches the
    page from there for the plan cards)."""
    where = {"conversation_id": conversation_id, "url": f"/chat/{conversation_id}"}
    yield ServerSentEvent(
        event="start", data=json.dumps({**where, "user": sent, "assistant": reply.assistant})
    )
    for piece in reply_pieces(reply.content):
        yield ServerSentEvent(event="chunk", data=json.dumps(piece))
    yield ServerSentEvent(event="done", data=json.dumps({**where, "message_id": reply.id}))


def _streamed_reply(
    viewer: Viewer, db: DB, services: AppServices, conversation_id: str | None, sent: str
) -> Response:
    conversation_id, reply = _send(viewer, db, services, conversation_id, sent)
    # The exchange is committed before the first byte (DB commits when the handler
    # returns), so what is streamed is what a reload shows.
    return EventSourceResponse(
        _reply_events(conversation_id, sent, reply),
        sep="\n",
        headers={"Cache-Control": "no-store"},
    )


# ---- the pages -----------------------------------------------------------------------


@router.get("/chat")
def chat_index(request: Request, viewer: SignedIn, db: DB, services: Services) -> Response:
    return _conversation_page(request, viewer, db, services, None)


@router.get("/chat/{conversation_id}")
def conversation_page(
    conversation_id: str, request: Request, viewer: SignedIn, db: DB, services: Services
) -> Response:
    conversation = chat.read_conversation(
        db, actor=viewer.principal, conversation_id=conversation_id
    )
    notice = ""
    accepted = request.query_params.get("accepted")
    if accepted:
        notice = "You accepted the plan. It is now the one you and your partners work to."
    return _conversation_page(request, viewer, db, services, conversation, notice=notice)


@router.post("/chat/conversations")
def new_conversation(viewer: SignedIn, form: CheckedForm, db: DB, services: Services) -> Response:
    del form
    row = chat.create_conversation(
        db, actor=viewer.principal, data=ConversationCreate(), now=services.clock.now()
    )
    return see_other(f"/chat/{row.id}")


@router.post("/chat/messages")
def first_message(
    request: Request, viewer: SignedIn, form: CheckedForm, db: DB, services: Services
) -> Response:
    refused = _refused_message(request, viewer, db, services, None, form)
    if refused is not None:
        return refused
    conversation_id, _ = _send(viewer, db, services, None, _message_from(form))
    return see_other(f"/chat/{conversation_id}")


@router.post("/chat/messages/stream")
def first_message_streamed(
    request: Request, viewer: SignedIn, form: CheckedForm, db: DB, services: Services
) -> Response:
    refused = _refused_message(request, viewer, db, services, None, form)
    if refused is not None:
        return refused
    return _streamed_reply(viewer, db, services, None, _message_from(form))


@router.post("/chat/{conversation_id}/messages")
def next_message(
    conversation_id: str,
    request: Request,
    viewer: SignedIn,
    form: CheckedForm,
    db: DB,
    services: Services,
) -> Response:
    refused = _refused_message(request, viewer, db, services, conversation_id, form)
    if refused is not None:
        return refused
    _send(viewer, db, services, conversation_id, _message_from(form))
    return see_other(f"/chat/{conversation_id}")


@router.post("/chat/{conversation_id}/messages/stream")
def next_message_streamed(
    conversation_id: str,
    request: Request,
    viewer: SignedIn,
    form: CheckedForm,
    db: DB,
    services: Services,
) -> Response:
    refused = _refused_message(request, viewer, db, services, conversation_id, form)
    if refused is not None:
        return refused
    return _streamed_reply(viewer, db, services, conversation_id, _message_from(form))


@router.post("/chat/{conversation_id}/plans/{plan_id}/accept")
def accept_plan(
    conversation_id: str,
    plan_id: str,
    request: Request,
    viewer: SignedIn,
    form: CheckedForm,
    db: DB,
    services: Services,
) -> Response:
    del form
    # The conversation must be one the viewer may read: the card lives there.
    conversation = chat.read_conversation(
        db, actor=viewer.principal, conversation_id=conversation_id
    )
    try:
        # A savepoint: a refusal is shown on the page, and must leave nothing behind.
        with db.begin_nested():
            plans.accept_plan(db, actor=viewer.principal, plan_id=plan_id)
    except NotFound:
        raise  # a plan the viewer may not see is a 404 page, as in the API
    except DomainError as refused:
        return _conversation_page(
            request,
            viewer,
            db,
            services,
            conversation,
            status_code=refused.status_code,
            error=f"The plan was not accepted: {refused.message}.",
        )
    return see_other(f"/chat/{conversation_id}?accepted={plan_id}")
