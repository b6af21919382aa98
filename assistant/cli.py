"""The `tandem` command: set up, serve, migrate, load a demo program, manage keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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


def _prepare(settings: Settings) -> str | None:
    """Data dir, migrations and a first staff key: everything `serve` needs, idempotent.
    Answers the staff key when it created one (the demo files it with the others)."""
    key: str | None = None
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
    return key


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
    console.print(
        f"Serving Tandem on http://{bind_host}:{bind_port} (open it in a browser and sign in "
        "with a key; API docs at /docs)"
    )
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
def link(
    participant: Annotated[str, typer.Argument(help="the participant's id or email")],
) -> None:
    """Print a one-time sign-in link for a participant (valid 15 minutes, works once)."""
    from sqlalchemy import func, select

    from assistant.people.models import Participant
    from assistant.signin.service import issue_link
    from assistant.web import SystemClock

    settings = _settings()
    engine = build_engine(settings.resolved_database_url)
    upgrade_database(engine)
    with transaction(session_factory(engine)) as session:
        person = session.get(Participant, participant) or session.scalar(
            select(Participant).where(func.lower(Participant.email) == participant.strip().lower())
        )
        if person is None:
            console.print(f"[red]no participant with id or email {participant!r}[/red]")
            raise typer.Exit(1)
        cli = Principal(kind="staff", id="cli", name="tandem link")
        token, expires_at = issue_link(
            session, actor=cli, participant_id=person.id, now=SystemClock().now()
        )
    base = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    console.print(f"Sign-in link for {person.name} (works once, until {expires_at:%H:%M} UTC):")
    console.print(f"  {base}/sign-in/link/{token}", soft_wrap=True, highlight=False)


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


@contextmanager
def _scratch_knowledge(embedder: Any) -> Iterator[Any]:
    """The built-in corpus indexed in a throw-away store, for an evaluation run."""
    import tempfile

    from assistant.retrieval.service import KnowledgeBase
    from assistant.retrieval.store import ChromaVectorStore

    with tempfile.TemporaryDirectory() as scratch:
        store = ChromaVectorStore(path=Path(scratch))
        knowledge = KnowledgeBase(store.client, embedder)
        with console.status("Indexing the corpus"):
            knowledge.ingest_paths([_settings().knowledge_dir])
        yield knowledge


@eval_app.command("retrieval")
def eval_retrieval(
    queries: Annotated[Path, typer.Option(help="labelled queries (JSONL)")] = DEV_SET,
    fake_embedder: Annotated[
        bool, typer.Option(help="use the word-overlap test embedder instead of MiniLM")
    ] = False,
) -> None:
    """Index the built-in corpus in a scratch store and score dense, lexical and hybrid."""

    from assistant.retrieval.embeddings import MiniLMEmbedder, WordOverlapEmbedder
    from assistant.retrieval.evaluation import evaluate, load_queries

    labelled = load_queries(queries)
    embedder = WordOverlapEmbedder() if fake_embedder else MiniLMEmbedder()
    running = console.status(f"Running {len(labelled)} queries x 3 methods")
    with _scratch_knowledge(embedder) as knowledge, running:
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

    from assistant.drafting.evaluation import evaluate
    from assistant.retrieval.embeddings import MiniLMEmbedder, WordOverlapEmbedder

    embedder = WordOverlapEmbedder() if fake_embedder else MiniLMEmbedder()
    with _scratch_knowledge(embedder) as knowledge, console.status("Drafting") as status:
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


@eval_app.command("pairing")
def eval_pairing(
    seeds: Annotated[int, typer.Option(min=1, max=20, help="cohorts per mode and size")] = 3,
) -> None:
    """Generated cohorts of every mode through a pairing run: goal-skill coverage, rule
    breaks (restated independently) and objective against an exact optimum."""
    from assistant.pairing.evaluation import evaluate, report_tables

    with console.status("Running and judging pairing runs"):
        rows = evaluate(seeds=range(seeds))
    for table in report_tables(rows, seeds):
        console.print(table)
    if not all(row.meets_floors for row in rows):
        console.print("[red]below the floors: coverage 1.0 where possible, 0 rule breaks[/red]")
        raise typer.Exit(1)


@app.command()
def demo() -> None:
    """Load a small realistic demo program and print the ids and keys to explore it with."""
    from assistant.api import build_embedder, build_vector_store
    from assistant.demo import (
        DemoAlreadyLoaded,
        DemoGuidanceMissing,
        demo_keys_text,
        index_demo_notes,
        load_demo,
    )
    from assistant.drafting.playbooks import PlaybookLibrary
    from assistant.retrieval.notes import NoteIndex
    from assistant.retrieval.service import KnowledgeBase

    settings = _settings()
    staff_key = _prepare(settings)
    engine = build_engine(settings.resolved_database_url)
    store = build_vector_store(settings)
    embedder = build_embedder(settings)
    knowledge = KnowledgeBase(store.client, embedder)
    # The plans are drafted from the skill playbooks, so they must be indexed first; an
    # unchanged corpus costs nothing, and `serve` then starts without indexing.
    with console.status("Indexing the built-in guidance (about half a minute the first time)"):
        knowledge.ingest_paths([settings.knowledge_dir])
    try:
        with transaction(session_factory(engine)) as session:
            summary = load_demo(session, library=PlaybookLibrary(knowledge))
    except DemoAlreadyLoaded as exc:
        console.print(f"[yellow]{exc}[/yellow]")
        raise typer.Exit(0) from exc
    except DemoGuidanceMissing as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    with session_factory(engine)() as session:
        try:
            index_demo_notes(session, NoteIndex(store.client, embedder), summary)
        except Exception as exc:  # the program is loaded; only note search misses them
            console.print(f"[yellow]notes saved but not indexed for search:[/yellow] {exc}")
    store.close()
    keys_file = settings.data_dir.resolve() / "demo-keys.txt"
    base_url = f"http://{settings.host}:{settings.port}"
    # The file keeps the staff key too; on screen it was shown once, just above.
    _write_private(keys_file, demo_keys_text(summary, base_url=base_url, staff_key=staff_key))
    # Plain lines, one block per person: a table would cut ids at a narrow terminal.
    console.print()
    console.print(
        demo_keys_text(summary, base_url=base_url), soft_wrap=True, highlight=False, markup=False
    )
    console.print(
        f"Saved to {keys_file} (readable only by you). Tandem keeps only a hash of each "
        "key: this file and the lines above are the only copies.",
        soft_wrap=True,
        highlight=False,
    )


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read, whatever the umask or an earlier copy's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
