"""Drafting: the drafters that write plans (and, later, agendas) from a context.

Sits above plans/ and sessions/: it reads them, they never import it. The app injects
a drafter into the plans service through the PlanDrafter seam.
"""
