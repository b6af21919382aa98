"""The `tandem` command: set up, serve, migrate, load a demo program, manage keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from assistant.auth import Principal, create_staff_key, staff_count
from assistant.config import Settings
from assistant.db import build_engine, session_factory, transaction, upgrade_database

app = typer.Typer(help="Tandem: the mentoring assistant service.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure quality.", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(key_app, name="key")
app.add_typer(eval_app, name="eval")
DEV_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "retrieval_dev.jsonl"
console = Console()


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _prepare(settings: Settings) -> None:
    """Data dir, migrations and a first staff key: everything `serve` needs, idempotent."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.resolved_database_url)
    upgrade_database(engine)
    with transaction(session_factory(engine)) as session:
        if settings.bootstrap_staff_key is None and staff_count(session) == 0:
            _, key = create_staff_key(session, name="first staff")
            console.print("[bold]First staff API key[/bold] (shown once; store it now):")
            console.print(f"  {key}", soft_wrap=True, highlight=False)
            console.print("Use it as 'Authorization: Bearer <key>'. More: `tandem key create`.")
    engine.dispose()


@app.command()
def init() -> None:
    """Create the data dir and database, and print a first staff key if there is none."""
    settings = _settings()
    _prepare(settings)
    console.print(
        f"Ready: data in [bold]{settings.data_dir.resolve()}[/bold], "
        f"database {build_engine(settings.resolved_database_url).url.render_as_string()}"
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="defaults to TANDEM_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="defaults to TANDEM_PORT")] = None,
) -> None:
    """Set up if needed, then serve the API (embedded SQLite and Chroma by default)."""
    import uvicorn

    from assistant.api import create_app

    settings = _settings()
    _prepare(settings)
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(f"Serving Tandem on http://{bind_host}:{bind_port} (docs at /docs)")
    uvicorn.run(create_app(settings), host=bind_host, port=bind_port, log_config=None)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending database migrations."""
    settings = _settings()
    engine = build_engine(settings.resolved_database_url)
    upgrade_database(engine)
    console.print("Database is at the latest schema.")


@key_app.command("create")
def key_create(
    name: Annotated[str, typer.Option(help="who the staff key is for")] = "staff",
    participant: Annotated[
        str | None, typer.Option(help="rotate this participant's key instead")
    ] = None,
) -> None:
    """Create a staff key, or a new key for a participant (the old one stops working)."""
    from assistant.people.service import rotate_participant_key

    settings = _settings()
    engine = build_engine(settings.resolved_database_url)
    upgrade_database(engine)
    with transaction(session_factory(engine)) as session:
        if participant:
            cli = Principal(kind="staff", id="cli", name="tandem key create")
            key = rotate_participant_key(session, actor=cli, participant_id=participant)
            console.print(f"New key for participant {participant} (shown once):")
        else:
            _, key = create_staff_key(session, name=name)
            console.print(f"New staff key for {name} (shown once):")
    console.print(f"  {key}", soft_wrap=True, highlight=False)


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="files or folders; default: the built-in corpus")
    ] = None,
    rebuild: Annotated[
        bool, typer.Option(help="drop the index first (after changing the embedder)")
    ] = False,
    notes: Annotated[
        bool, typer.Option(help="also re-index every session note from the database")
    ] = False,
) -> None:
    """Index guidance (markdown or text). Unchanged documents are left alone."""
    from rich.progress import Progress

    from assistant.api import build_embedder, build_vector_store
    from assistant.retrieval.service import KnowledgeBase

    settings = _settings()
    targets = paths or [settings.knowledge_dir]
    store = build_vector_store(settings)
    embedder = build_embedder(settings)
    knowledge = KnowledgeBase(store.client, embedder)
    if rebuild:
        knowledge.rebuild()
    if notes:
        count = _reindex_notes(settings, store.client, embedder)
        console.print(f"Re-indexed {count} note chunks from the database.")
    files = sum(
        len([f for f in p.rglob("*") if f.suffix in (".md", ".txt")]) if p.is_dir() else 1
        for p in targets
    )
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Indexing", total=files)
        report = knowledge.ingest_paths(targets, progress=lambda _: progress.advance(task))
    table = Table(title="Ingest summary")
    for column in ("added", "updated", "removed", "unchanged", "chunks written", "chunks removed"):
        table.add_column(column, justify="right")
    table.add_row(
        str(len(report.added)),
        str(len(report.updated)),
        str(len(report.removed)),
        str(len(report.unchanged)),
        str(report.chunks_written),
        str(report.chunks_removed),
    )
    console.print(table)
    for error in report.errors:
        console.print(f"[red]skipped:[/red] {error}")
    if report.errors:
        raise typer.Exit(1)


def _reindex_notes(settings: Settings, client: Any, embedder: Any) -> int:
    from assistant.retrieval.notes import NoteIndex
    from assistant.sessions.service import all_indexable_notes

    engine = build_engine(settings.resolved_database_url)
    upgrade_database(engine)
    with session_factory(engine)() as session:
        notes = all_indexable_notes(session)
    return NoteIndex(client, embedder).rebuild(notes)


@eval_app.command("retrieval")
def eval_retrieval(
    queries: Annotated[Path, typer.Option(help="labelled queries (JSONL)")] = DEV_SET,
    fake_embedder: Annotated[
        bool, typer.Option(help="use the word-overlap test embedder instead of MiniLM")
    ] = False,
) -> None:
    """Index the built-in corpus in a scratch store and score dense, lexical and hybrid."""
    import tempfile

    from assistant.retrieval.embeddings import MiniLMEmbedder, WordOverlapEmbedder
    from assistant.retrieval.evaluation import evaluate, load_queries
    from assistant.retrieval.service import KnowledgeBase
    from assistant.retrieval.store import ChromaVectorStore

    settings = _settings()
    labelled = load_queries(queries)
    embedder = WordOverlapEmbedder() if fake_embedder else MiniLMEmbedder()
    with tempfile.TemporaryDirectory() as scratch:
        store = ChromaVectorStore(path=Path(scratch))
        knowledge = KnowledgeBase(store.client, embedder)
        with console.status("Indexing the corpus"):
            knowledge.ingest_paths([settings.knowledge_dir])
        with console.status(f"Running {len(labelled)} queries x 3 methods"):
            report = evaluate(knowledge, labelled)
    overall = Table(title=f"{len(labelled)} queries, {embedder.name}")
    for column in ("method", "hit@5", "MRR@10", "nDCG@10"):
        overall.add_column(column, justify="right")
    for method, totals in report.overall.items():
        overall.add_row(method, *(f"{totals[m]:.3f}" for m in ("hit@5", "MRR@10", "nDCG@10")))
    console.print(overall)
    slices = Table(title="By mode and topic (hit@5; nDCG@10 for hybrid)")
    for column in ("slice", "n", "dense", "lexical", "hybrid", "hybrid nDCG@10"):
        slices.add_column(column, justify="right")
    for prefix, group in (("mode", report.by_mode), ("topic", report.by_topic)):
        for name, scores in group.items():
            slices.add_row(
                f"{prefix} {name}",
                str(int(scores["hybrid"]["queries"])),
                *(f"{scores[m]['hit@5']:.2f}" for m in ("dense", "lexical", "hybrid")),
                f"{scores['hybrid']['nDCG@10']:.2f}",
            )
    console.print(slices)


@eval_app.command("drafting")
def eval_drafting(
    fake_embedder: Annotated[
        bool, typer.Option(help="use the word-overlap test embedder instead of MiniLM")
    ] = False,
    show_failures: Annotated[int, typer.Option(help="list up to this many failed checks")] = 20,
) -> None:
    """Draft plans and agendas for 36 scenarios and score them on the rubric."""
    import tempfile

    from assistant.drafting.evaluation import evaluate
    from assistant.retrieval.embeddings import MiniLMEmbedder, WordOverlapEmbedder
    from assistant.retrieval.service import KnowledgeBase
    from assistant.retrieval.store import ChromaVectorStore

    settings = _settings()
    embedder = WordOverlapEmbedder() if fake_embedder else MiniLMEmbedder()
    with tempfile.TemporaryDirectory() as scratch:
        store = ChromaVectorStore(path=Path(scratch))
        knowledge = KnowledgeBase(store.client, embedder)
        with console.status("Indexing the corpus"):
            knowledge.ingest_paths([settings.knowledge_dir])
        with console.status("Drafting") as status:
            report = evaluate(knowledge, progress=lambda name: status.update(f"Drafting {name}"))
    scenarios = Table(title=f"{len(report.results)} scenarios: plans and agendas")
    for column in ("scenario", "checks passed", "failed"):
        scenarios.add_column(column, justify="left" if column != "checks passed" else "right")
    for result in report.results:
        failed = ", ".join(c.name for c in result.checks if not c.passed)
        scenarios.add_row(result.scenario.name, f"{result.passed}/{len(result.checks)}", failed)
    console.print(scenarios)
    checks = Table(title="By rubric check")
    for column in ("check", "passed", "share"):
        checks.add_column(column, justify="right" if column != "check" else "left")
    for name, (passed, count) in report.by_check().items():
        checks.add_row(name, f"{passed}/{count}", f"{passed / count:.0%}")
    checks.add_row("all", f"{report.passed}/{report.checks}", f"{report.rate:.1%}")
    console.print(checks)
    for scenario, check in report.failures()[:show_failures]:
        console.print(f"[red]failed[/red] {scenario}: {check.name}: {check.detail}")


@app.command()
def demo() -> None:
    """Load a small realistic demo program and print the keys to explore it with."""
    from assistant.demo import DemoAlreadyLoaded, load_demo

    settings = _settings()
    _prepare(settings)
    engine = build_engine(settings.resolved_database_url)
    try:
        with transaction(session_factory(engine)) as session:
            summary = load_demo(session)
    except DemoAlreadyLoaded as exc:
        console.print(f"[yellow]{exc}[/yellow]")
        raise typer.Exit(0) from exc
    table = Table(title=f"Demo program '{summary.program_name}' ({summary.program_id})")
    for column in ("name", "stage", "roles", "participant id"):
        table.add_column(column, no_wrap=True)
    for person in summary.people:
        table.add_row(person.name, person.stage, ", ".join(person.roles), person.id)
    console.print(table)
    # Keys as plain lines, never inside a table cell a narrow terminal would truncate.
    console.print("API keys (shown once):")
    for person in summary.people:
        console.print(f"  {person.name:<16} {person.key}", soft_wrap=True, highlight=False)
    console.print(
        f"{len(summary.people)} participants, {summary.matches} matches, {summary.plans} plans, "
        f"{summary.sessions} sessions, {summary.notes} notes. Keys are shown once."
    )
