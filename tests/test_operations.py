"""Operations: health of the stores, Prometheus metrics, request ids and JSON logs."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.config import Settings
from assistant.retrieval.store import ChromaVectorStore

from .conftest import FixedClock
from .support import STAFF_KEY, Api, bearer, expect


def test_health_reports_database_and_embedded_vector_store(client: TestClient) -> None:
    body = expect(client.get("/health"), 200)
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    assert body["vector_store"]["reachable"] is True
    assert "embedded chroma" in body["vector_store"]["kind"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def client_with_unreachable_chroma(settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
    store = ChromaVectorStore(url=f"http://127.0.0.1:{_closed_port()}")
    with TestClient(create_app(settings, clock=clock, vector_store=store)) as test_client:
        yield test_client


def test_health_degrades_when_the_vector_store_is_down(
    client_with_unreachable_chroma: TestClient,
) -> None:
    body = expect(client_with_unreachable_chroma.get("/health"), 200)
    assert body["status"] == "degraded"
    assert body["database"]["reachable"] is True
    assert body["vector_store"]["reachable"] is False
    # The rest of the API keeps working without vectors.
    expect(client_with_unreachable_chroma.get("/v1/me", headers=_staff()), 200)


def _staff() -> dict[str, str]:
    return bearer(STAFF_KEY)


def test_metrics_count_requests_and_errors_by_route_template(api: Api) -> None:
    mentee = api.participant()
    api.call("GET", f"/v1/participants/{mentee['id']}")
    api.call("GET", "/v1/participants/does-not-exist")
    api.call("GET", "/v1/participants/also-missing")
    text = api.client.get("/metrics").text
    route = 'route="/v1/participants/{participant_id}"'
    assert f'tandem_http_requests_total{{method="GET",{route},status="200"}} 1.0' in text
    assert f'tandem_http_errors_total{{method="GET",{route},status="404"}} 2.0' in text
    assert "tandem_http_request_duration_seconds_bucket" in text
    # Raw ids never become label values: cardinality stays bounded.
    assert mentee["id"] not in text


def test_request_id_is_returned_and_logged(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    response = api.client.get("/health", headers={"X-Request-ID": "trace-abc.123"})
    assert response.headers["x-request-id"] == "trace-abc.123"
    generated = api.client.get("/health").headers["x-request-id"]
    assert len(generated) == 32
    # A hostile id (log injection) is replaced, not echoed.
    odd = api.client.get("/health", headers={"X-Request-ID": 'x"\n{"level":"ERROR"}'})
    assert odd.headers["x-request-id"] != 'x"\n{"level":"ERROR"}'

    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    requests = [line for line in lines if line.get("msg") == "request"]
    assert any(r["request_id"] == "trace-abc.123" and r["route"] == "/health" for r in requests)


def test_errors_carry_the_request_id(api: Api) -> None:
    response = api.call("GET", "/v1/plans/nope")
    assert response.status_code == 404
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_no_state_in_the_process_two_apps_on_one_database_agree(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    # Two replicas share the database (and would share a Chroma server); whatever one
    # writes, the other serves.
    first = TestClient(create_app(settings, clock=clock))
    second = TestClient(
        create_app(settings.model_copy(update={"data_dir": tmp_path / "replica"}), clock=clock)
    )
    with first, second:
        made = Api(first).participant()
        seen = expect(second.get(f"/v1/participants/{made['id']}", headers=_staff()), 200)
        assert seen["email"] == made["email"]
        # The key issued by one replica works on the other.
        assert (
            expect(
                second.get("/v1/me", headers={"Authorization": f"Bearer {made['api_key']}"}), 200
            )["id"]
            == made["id"]
        )


class BrokenDrafter:
    """A drafter with a bug in it: the service must answer, not hang or leak a trace."""

    def draft_plan(self, request: object) -> object:
        raise RuntimeError("drafter bug")


def test_an_unexpected_error_is_a_500_with_the_request_id_and_writes_nothing(
    settings: Settings, clock: FixedClock
) -> None:
    app = create_app(settings, clock=clock, plan_drafter=BrokenDrafter())  # type: ignore[arg-type]
    with TestClient(app) as client:
        api = Api(client)
        _, mentee, match = api.mentor_pair()
        response = api.call(
            "POST",
            f"/v1/matches/{match['id']}/plans",
            key=mentee["api_key"],
            json={"owner_id": mentee["id"]},
        )
        assert response.status_code == 500
        assert response.json()["request_id"] == response.headers["x-request-id"]
        assert "drafter bug" not in response.text
        assert expect(api.call("GET", f"/v1/matches/{match['id']}/plans"), 200) == []
        metrics = client.get("/metrics").text
        assert 'status="500"' in metrics
