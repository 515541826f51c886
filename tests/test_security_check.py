"""T-CFG-1: `flask security-check` fails on each unsafe setting and passes a safe deployment."""

from datetime import timedelta

import pytest

from app.config import DefaultConfig
from app.deploycheck import config_findings

SAFE = {
    **{key: getattr(DefaultConfig, key) for key in dir(DefaultConfig) if key.isupper()},
    "DEBUG": False,
    "SECRET_KEY": "k" * 48,
    "HTTPS": True,
    "SESSION_COOKIE_SECURE": True,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "REQUIRE_STAFF_TWO_FACTOR": True,
}
UNSAFE = {
    "debug off": {"DEBUG": True},
    "secret key": {"SECRET_KEY": "dev"},
    "HTTPS": {"HTTPS": False, "SESSION_COOKIE_SECURE": False},
    "shared rate limits": {"RATELIMIT_STORAGE_URI": "memory://"},
    "two-factor for staff": {"REQUIRE_STAFF_TWO_FACTOR": False},
    "session limits": {"SESSION_IDLE_TIMEOUT": timedelta(hours=2)},
    "mail over TLS": {"MAIL_SERVER": "smtp.example.org", "MAIL_USE_TLS": False},
}


def test_a_safe_configuration_passes_every_check():
    assert [f.name for f in config_findings(SAFE) if not f.ok] == []


@pytest.mark.parametrize("name", UNSAFE)
def test_each_unsafe_setting_fails_its_check(name):
    findings = {f.name: f.ok for f in config_findings({**SAFE, **UNSAFE[name]})}
    assert findings[name] is False
    assert [n for n, ok in findings.items() if not ok] == [name]


def test_every_check_has_a_failing_and_a_passing_case():
    """T-CFG-1: each check of config_findings passes on SAFE and has an UNSAFE case failing it."""
    names = [f.name for f in config_findings(SAFE)]
    passing = [f.name for f in config_findings(SAFE) if f.ok]
    failing = [
        name
        for name in UNSAFE
        if not dict((f.name, f.ok) for f in config_findings({**SAFE, **UNSAFE[name]}))[name]
    ]
    assert names and sorted(passing) == sorted(names) == sorted(failing)
    print(
        f"\nT-CFG-1: {len(names)} checks; each has a failing and a passing test "
        f"({len(failing)} failing cases, {len(passing)} passing on the safe configuration)"
    )


def test_the_command_lists_administrators_and_exits_non_zero_when_unsafe(app, runner):
    from app.models import SiteRole
    from tests.helpers import make_user

    make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    result = runner.invoke(args=["security-check"])
    assert result.exit_code == 1
    assert "admin@example.org" in result.output and "without a second factor" in result.output
    assert "checks," in result.output
