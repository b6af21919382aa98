"""How much of a month a plan asks for: its sessions plus the activities running in its
busiest month. One definition for the drafters (which fit plans to it), the plan's
answer (`planned_minutes_per_month`) and the evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

from assistant.plans.models import Activity, PlanBody

MONTH_DAYS = 30


def plan_end(body: PlanBody, starts_on: date) -> date:
    dues = [m.due_date for o in body.objectives for m in o.milestones]
    return max(dues, default=starts_on)


def month_loads(activities: Iterable[Activity], starts_on: date, ends_on: date) -> list[int]:
    """Minutes of activities in each 30-day month of the plan, from its first day. A
    recurring activity counts in every month it runs; a one-off in full in the month it
    starts. An activity without dates runs the whole plan."""
    months = max(1, math.ceil(((ends_on - starts_on).days + 1) / MONTH_DAYS))
    loads = [0] * months

    def index(day: date) -> int:
        return min(months - 1, max(0, (day - starts_on).days // MONTH_DAYS))

    for activity in activities:
        first = index(activity.starts_on or starts_on)
        last = index(activity.ends_on or ends_on) if activity.recurring else first
        for month in range(first, last + 1):
            loads[month] += activity.minutes_per_month
    return loads


def session_minutes_per_month(body: PlanBody) -> int:
    cadence = body.cadence
    return cadence.sessions_per_month * cadence.minutes if cadence else 0


def planned_minutes_per_month(body: PlanBody, starts_on: date) -> int:
    activities = [a for o in body.objectives for a in o.activities]
    loads = month_loads(activities, starts_on, plan_end(body, starts_on))
    return session_minutes_per_month(body) + max(loads)
