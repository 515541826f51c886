"""Site-wide routes: language choice and the health check."""
