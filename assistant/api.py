"""The FastAPI application: start-up (migrations, bootstrap key, stores), routers, errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import __version__
from assistant.audit.api import router as audit_router
from assistant.auth import ensure_bootstrap_staff, principal_for_key
from assistant.chat.api import router as chat_router
from assistant.config import Settings, get_settings
from assistant.db import (
    build_engine,
    database_reachable,
    session_factory,
    transaction,
    upgrade_database,
)
from assistant.drafting.api import router as agendas_router
from assistant.drafting.llm import build_plan_drafter
from assistant.drafting.llm_agenda import build_agenda_drafter
from assistant.drafting.models import AgendaDrafter
from assistant.drafting.playbooks import PlaybookLibrary
from assistant.errors import DomainError, InvalidField
from assistant.llm.calls import ModelCallBudgetMiddleware
from assistant.llm.client import build_chat_model
from assistant.matching.api import router as matching_router
from assistant.observability import (
    BodyLimitMiddleware,
    Metrics,
    NulGuardMiddleware,
    RequestContextMiddleware,
    configure_logging,
    request_id_var,
)
from assistant.pages.routes import error_page, install_pages, is_page_path
from assistant.pages.security import SecurityHeadersMiddleware
from assistant.pairing.api import router as pairing_router
from assistant.pairing.rationale import RationaleWriters, build_rationale_writers
from assistant.people.api import router as people_router
from assistant.plans.api import router as plans_router
from assistant.plans.service import PlanDrafter
from assistant.programs.api import router as programs_router
from assistant.retrieval.api import router as knowledge_router
from assistant.retrieval.embeddings import (
    Embedder,
    EmbedderUnavailable,
    MiniLMEmbedder,
    OpenAICompatibleEmbedder,
)
from assistant.retrieval.notes import NoteIndex
from assistant.retrieval.service import EmbedderMismatch, KnowledgeBase
from assistant.retrieval.store import ChromaVectorStore, VectorStore
from assistant.sessions.api import router as sessions_router
from assistant.signin.api import router as sign_in_link_router
from assistant.web import AppServices, Clock, SystemClock

logger = logging.getLogger("tandem.app")


def build_vector_store(settings: Settings) -> VectorStore:
    if settings.chroma_url:
        return ChromaVectorStore(url=settings.chroma_url)
    return ChromaVectorStore(path=settings.chroma_path)


def build_embedder(settings: Settings) -> Embedder:
    if settings.embeddings_model:
        base_url = settings.embeddings_base_url or settings.llm_base_url
        if not base_url:
            raise ValueError("TANDEM_EMBEDDINGS_MODEL needs TANDEM_EMBEDDINGS_BASE_URL")
        key = settings.embeddings_api_key or settings.llm_api_key
        return OpenAICompatibleEmbedder(
            base_url=base_url,
            model=settings.embeddings_model,
            api_key=key.get_secret_value() if key else "unused",
            dimension=settings.embeddings_dimension,
        )
    return MiniLMEmbedder()


def ingest_builtin_guidance(knowledge: KnowledgeBase, settings: Settings) -> None:
    """Bring the index in line with the built-in guidance at every start, so a release
    that rewrites or adds guidance reaches deployments that indexed an older one. Chunk
    ids come from content: an unchanged corpus embeds and writes nothing (0.14 s for the
    48 documents), and staff uploads live under another root, untouched."""
    if not settings.ingest_on_start:
        return
    if not settings.knowledge_dir.is_dir():
        logger.warning(
            "no built-in guidance at %s; set TANDEM_KNOWLEDGE_DIR", settings.knowledge_dir
        )
        return
    try:
        first = knowledge.count() == 0
        if first:
            logger.info("indexing the built-in guidance (about half a minute, first start only)")
        report = knowledge.ingest_paths([settings.knowledge_dir])
        if first or report.chunks_written or report.removed:
            logger.info(
                "built-in guidance indexed",
                extra={
                    "fields": {
                        "added": len(report.added),
                        "updated": len(report.updated),
                        "removed": len(report.removed),
                        "chunks": report.chunks_written,
                    }
                },
            )
    except Exception:
        # The API still serves everything but search; /health says what is wrong.
        logger.exception("could not index the built-in guidance")


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    plan_drafter: PlanDrafter | None = None,
    agenda_drafter: AgendaDrafter | None = None,
    vector_store: VectorStore | None = None,
    embedder: Embedder | None = None,
    pairing_rationale: RationaleWriters | None = None,
) -> AppServices:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.resolved_database_url)
    upgrade_database(engine)
    factory = session_factory(engine)
    if settings.bootstrap_staff_key is not None:
        with transaction(factory) as session:
            ensure_bootstrap_staff(session, settings.bootstrap_staff_key.get_secret_value())
    store = vector_store or build_vector_store(settings)
    embedder = embedder or build_embedder(settings)
    knowledge = KnowledgeBase(store.client, embedder)
    ingest_builtin_guidance(knowledge, settings)
    playbooks = PlaybookLibrary(knowledge)
    return AppServices(
        settings=settings,
        engine=engine,
        sessions=factory,
        clock=clock or SystemClock(),
        plan_drafter=plan_drafter or build_plan_drafter(settings, playbooks),
        agenda_drafter=agenda_drafter or build_agenda_drafter(settings),
        playbooks=playbooks,
        vector_store=store,
        knowledge=knowledge,
        notes_index=NoteIndex(store.client, embedder),
        pairing_rationale=pairing_rationale or build_rationale_writers(settings),
        chat_model=build_chat_model(settings),
    )


def _error_body(detail: Any) -> dict[str, Any]:
    return {"detail": detail, "request_id": request_id_var.get()}


def _has_valid_key(request: Request) -> bool:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return False
    services: AppServices = request.app.state.services
    with services.sessions() as session:
        return principal_for_key(session, key.strip()) is not None


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InvalidField)
    async def invalid_field(request: Request, exc: InvalidField) -> Response:
        if is_page_path(request.url.path):
            return error_page(request, 422, exc.message)
        detail = [{"loc": list(exc.loc), "msg": exc.message, "type": "value_error"}]
        return JSONResponse(_error_body(detail), status_code=422)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if is_page_path(request.url.path):
            return error_page(request, exc.status_code, exc.message)
        return JSONResponse(_error_body(exc.message), status_code=exc.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_page_path(request.url.path):
            return error_page(request, exc.status_code, str(exc.detail))
        return JSONResponse(
            _error_body(exc.detail), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(EmbedderMismatch)
    @app.exception_handler(EmbedderUnavailable)
    async def retrieval_unavailable(_: Request, exc: Exception) -> JSONResponse:
        logger.error("retrieval unavailable: %s", exc)
        return JSONResponse(_error_body(f"search is unavailable: {exc}"), status_code=503)

    @app.exception_handler(IntegrityError)
    async def integrity_error(_: Request, exc: IntegrityError) -> JSONResponse:
        # Only reachable when two requests race past a rule the service checked (the
        # same email created twice at once); the database constraint is the backstop.
        logger.warning("integrity error: %s", exc.orig)
        return JSONResponse(
            _error_body("conflicts with a concurrent change; reload and try again"),
            status_code=409,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_page_path(request.url.path):
            return error_page(request, 422, "Some of what was sent is missing or not valid.")
        # FastAPI parses the body before it resolves the key dependency; an anonymous
        # caller must learn that it needs a key, not how our schemas look.
        if request.url.path.startswith("/v1/") and not _has_valid_key(request):
            return JSONResponse(
                _error_body("missing or invalid API key: send 'Authorization: Bearer <key>'"),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse(_error_body(errors), status_code=422)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    plan_drafter: PlanDrafter | None = None,
    agenda_drafter: AgendaDrafter | None = None,
    vector_store: VectorStore | None = None,
    embedder: Embedder | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(
            settings,
            clock=clock,
            plan_drafter=plan_drafter,
            agenda_drafter=agenda_drafter,
            vector_store=vector_store,
            embedder=embedder,
        )
        app.state.services = services
        logger.info(
            "started",
            extra={
                "fields": {"database": services.engine.url.render_as_string(hide_password=True)}
            },
        )
        try:
            yield
        finally:
            services.vector_store.close()
            services.engine.dispose()

    app = FastAPI(
        title="Tandem",
        version=__version__,
        description="Mentoring assistant: development plans, sessions, progress and pairing.",
        lifespan=lifespan,
        # Served offline by assistant.pages.docs (FastAPI's own load from a CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.metrics = metrics
    _install_error_handlers(app)
    for router in (
        people_router,
        programs_router,
        matching_router,
        plans_router,
        sessions_router,
        audit_router,
        knowledge_router,
        agendas_router,
        pairing_router,
        chat_router,
        sign_in_link_router,
    ):
        app.include_router(router)
    install_pages(app, settings)

    @app.get("/health", tags=["operations"])
    def health(request: Request) -> JSONResponse:
        services: AppServices = request.app.state.services
        database = database_reachable(services.engine)
        vectors = services.vector_store.heartbeat()
        status = "ok" if database and vectors else "degraded" if database else "down"
        return JSONResponse(
            {
                "status": status,
                "version": __version__,
                "database": {"reachable": database},
                "vector_store": {
                    "reachable": vectors,
                    "kind": services.vector_store.description,
                },
            },
            status_code=200 if database else 503,
        )

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    def metrics_endpoint() -> PlainTextResponse:
        return PlainTextResponse(
            generate_latest(metrics.registry).decode(), media_type=CONTENT_TYPE_LATEST
        )

    app.add_middleware(SecurityHeadersMiddleware)
    # Every model call of a request shares one deadline (assistant/llm/calls.py).
    app.add_middleware(ModelCallBudgetMiddleware, seconds=settings.llm_timeout_seconds)
    # Added last = outermost: the request id and metrics cover the 413s too.
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app
