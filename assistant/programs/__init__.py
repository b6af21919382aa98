"""Programs (cohorts): the frame matches run in, and the staff roll-up of how they go."""
