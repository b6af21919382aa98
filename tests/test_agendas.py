"""Session agendas over the API: time boxes, what they review, who leads, privacy, exports."""

from __future__ import annotations

from typing import Any

from .support import Api, expect

Body = dict[str, Any]


def _agenda(api: Api, session: Body, key: str, **body: Any) -> Body:
    result: Body = expect(
        api.call("POST", f"/v1/sessions/{session['id']}/agenda", key=key, json=body or {}), 201
    )
    return result


def _peers(api: Api) -> tuple[Body, Body, Body]:
    return api.complementary_peers()


def test_mentor_agenda_reviews_what_is_due_and_sums_to_the_duration(api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    plan = api.plan(match, mentee)
    first = plan["objectives"][0]["milestones"][0]
    earlier = api.session(match, when="2027-02-20T15:00:00Z")
    api.note(
        earlier,
        "We agreed Sam drafts the outline of the all-hands talk.",
        key=mentor["api_key"],
        action_items=[
            {"text": "Draft the talk outline", "owner_id": mentee["id"], "due_date": "2027-02-27"}
        ],
    )
    meeting = api.session(match, when="2027-03-10T15:00:00Z", minutes=50)

    agenda = _agenda(api, meeting, mentee["api_key"])

    assert agenda["total_minutes"] == 50
    assert sum(i["minutes"] for i in agenda["items"]) == 50
    kinds = [i["kind"] for i in agenda["items"]]
    assert kinds[0] == "check_in" and kinds[-1] == "commitments"
    review = next(i for i in agenda["items"] if i["kind"] == "review")
    assert "Draft the talk outline" in review["detail"] and "days late" in review["detail"]
    dive = next(i for i in agenda["items"] if i["kind"] == "deep_dive")
    assert first["title"] in dive["detail"]
    assert dive["lead_id"] == mentee["id"]
    feedback = next(i for i in agenda["items"] if i["kind"] == "feedback")
    assert feedback["lead_id"] == mentor["id"]
    prepared = {t["participant_id"] for t in agenda["prep"]}
    assert prepared == {mentor["id"], mentee["id"]}
    assert any("Draft the talk outline" in t["task"] for t in agenda["prep"])
    cited = {c["id"] for c in agenda["citations"]}
    assert cited and all(set(i["citation_ids"]) <= cited for i in agenda["items"])
    assert agenda["drafter"] == "offline"


def test_a_promise_carried_over_session_after_session_is_reviewed_once(api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    promise = {"text": "Draft the talk outline", "owner_id": mentee["id"], "due_date": "2027-02-13"}
    for day in ("2027-02-06", "2027-02-13", "2027-02-20"):
        held = api.session(match, when=f"{day}T15:00:00Z")
        api.note(held, "Not done yet.", key=mentor["api_key"], action_items=[promise])
    meeting = api.session(match, when="2027-03-10T15:00:00Z")
    agenda = _agenda(api, meeting, mentor["api_key"])
    review = next(i for i in agenda["items"] if i["kind"] == "review")
    assert review["detail"].count("Draft the talk outline") == 1
    assert "carried over 3 times" in review["detail"]
    tasks = [t["task"] for t in agenda["prep"] if "Draft the talk outline" in t["task"]]
    assert len(tasks) == 1


def test_peer_agenda_splits_time_fairly_and_feedback_runs_both_ways(api: Api) -> None:
    alex, sam, match = _peers(api)
    api.plan(match, alex)
    api.plan(match, sam)
    meeting = api.session(match, minutes=45)

    agenda = _agenda(api, meeting, alex["api_key"])

    dives = [i for i in agenda["items"] if i["kind"] == "deep_dive"]
    assert {d["for_id"] for d in dives} == {alex["id"], sam["id"]}
    assert abs(dives[0]["minutes"] - dives[1]["minutes"]) <= 1
    assert all(d["lead_id"] == d["for_id"] for d in dives)
    assert sum(i["minutes"] for i in agenda["items"]) == 45
    round_ = next(i for i in agenda["items"] if i["kind"] == "feedback_round")
    assert "both ways" in round_["detail"]
    # Each prepares feedback for the other, not only for themselves.
    assert any(
        t["participant_id"] == sam["id"] and "Alex Chen" in t["task"] for t in agenda["prep"]
    )
    assert any(
        t["participant_id"] == alex["id"] and "Sam Rivera" in t["task"] for t in agenda["prep"]
    )


def test_peers_take_turns_facilitating_and_going_first(api: Api) -> None:
    alex, _sam, match = _peers(api)
    first = _agenda(api, api.session(match, when="2027-03-02T15:00:00Z"), alex["api_key"])
    second = _agenda(api, api.session(match, when="2027-03-16T15:00:00Z"), alex["api_key"])
    assert first["items"][0]["lead_id"] != second["items"][0]["lead_id"]
    first_dive = next(i for i in first["items"] if i["kind"] == "deep_dive")
    second_dive = next(i for i in second["items"] if i["kind"] == "deep_dive")
    assert first_dive["for_id"] != second_dive["for_id"]


def test_flash_agenda_holds_one_question(api: Api) -> None:
    expert = api.mentor(name="Dana Expert")
    asker = api.participant(name="Kim Asker")
    match = api.match("flash", (expert, "mentor"), (asker, "mentee"))
    meeting = api.session(match, minutes=20)
    api.talking_point(meeting, asker, "How do I open a talk without reading from slides?")
    agenda = _agenda(api, meeting, asker["api_key"])
    questions = [i for i in agenda["items"] if i["kind"] == "question"]
    assert len(questions) == 1
    assert "without reading from slides" in questions[0]["title"]
    assert sum(i["minutes"] for i in agenda["items"]) == 20
    assert questions[0]["minutes"] >= 10


def test_talking_points_get_time_and_name_who_raised_them(api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    meeting = api.session(match)
    for who, text in ((mentee, "Nervous about questions from the audience"), (mentor, "Slides")):
        api.talking_point(meeting, who, text)
    listed = expect(
        api.call("GET", f"/v1/sessions/{meeting['id']}/talking-points", key=mentor["api_key"]), 200
    )
    assert [p["text"] for p in listed] == ["Nervous about questions from the audience", "Slides"]
    agenda = _agenda(api, meeting, mentor["api_key"])
    item = next(i for i in agenda["items"] if i["kind"] == "talking_points")
    assert "Nervous about questions" in item["detail"] and mentee["name"] in item["detail"]
    assert item["minutes"] >= 2


def test_an_agenda_never_quotes_a_note_some_member_may_not_read(api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    api.plan(match, mentee)
    earlier = api.session(match, when="2027-02-20T15:00:00Z")
    api.note(
        earlier,
        "PRIVATE-SECRET the mentee seems anxious about the all-hands talk",
        key=mentor["api_key"],
        visibility="private",
    )
    api.note(
        earlier, "STAFF-SECRET all-hands talk concerns raised by the manager", visibility="staff"
    )
    api.note(
        earlier, "SHARED we practised the all-hands talk opening together", key=mentee["api_key"]
    )
    meeting = api.session(match, when="2027-03-10T15:00:00Z")

    # The mentor asks; the mentor's own private note must still stay out, because the
    # stored agenda is read by the mentee too.
    agenda = _agenda(api, meeting, mentor["api_key"])
    text = str(agenda)
    assert "PRIVATE-SECRET" not in text and "STAFF-SECRET" not in text
    assert "SHARED we practised" in text


def test_agenda_is_stored_and_exported_as_markdown_and_icalendar(api: Api) -> None:
    alex, sam, match = _peers(api)
    api.plan(match, alex)
    meeting = api.session(match)
    expect(api.call("GET", f"/v1/sessions/{meeting['id']}/agenda", key=sam["api_key"]), 404)
    drafted = _agenda(api, meeting, alex["api_key"])

    stored = expect(
        api.call("GET", f"/v1/sessions/{meeting['id']}/agenda", key=sam["api_key"]), 200
    )
    assert stored["items"] == drafted["items"]
    md = api.call("GET", f"/v1/sessions/{meeting['id']}/agenda?format=md", key=sam["api_key"])
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "| # | Item | Minutes | Lead |" in md.text
    for item in drafted["items"]:
        assert f"{item['title']} ({item['minutes']} min)" in md.text

    ics = api.call("GET", f"/v1/sessions/{meeting['id']}/calendar.ics", key=sam["api_key"])
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    raw = ics.text
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    unfolded = raw.replace("\r\n ", "")
    assert "DTSTART:20270302T150000Z" in unfolded and "DTEND:20270302T154500Z" in unfolded
    assert drafted["items"][0]["title"] in unfolded


def test_agendas_refuse_cancelled_sessions_and_outsiders(api: Api) -> None:
    mentor, _mentee, match = api.mentor_pair()
    outsider = api.participant()
    meeting = api.session(match)
    expect(
        api.call("POST", f"/v1/sessions/{meeting['id']}/agenda", key=outsider["api_key"], json={}),
        404,
    )
    expect(
        api.call(
            "PATCH",
            f"/v1/sessions/{meeting['id']}",
            key=mentor["api_key"],
            json={"status": "cancelled"},
        ),
        200,
    )
    response = api.call(
        "POST", f"/v1/sessions/{meeting['id']}/agenda", key=mentor["api_key"], json={}
    )
    assert response.status_code == 409 and "cancelled" in response.json()["detail"]
