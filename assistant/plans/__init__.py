"""Development plans: versions, milestones, progress and health."""
