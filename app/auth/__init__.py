"""Accounts: signing in and out, setup, invitations, password resets and sessions."""
