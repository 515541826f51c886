"""Trainer cohorts: invitations, a progress dashboard for people and cities, exports."""
