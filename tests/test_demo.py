"""`flask demo load` gives a newcomer data on every page, and stays away from real data."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Cohort, CohortMember, Municipality, QuizAttempt
from tests.helpers import make_user


def test_demo_load_creates_a_cohort_with_progress(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "trainer@demo.strongcities.invalid" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Municipality.id))) == 10
        assert db.session.scalar(select(func.count(CohortMember.id))) == 20
        assert db.session.scalar(select(func.count(QuizAttempt.id))) > 0
        assert db.session.execute(select(Cohort)).scalar_one().name.startswith("South Asia")
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code != 0 and "already" in again.output


def test_demo_load_refuses_a_database_with_real_accounts(app, runner):
    make_user(app, "real.person@example.org")
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "real accounts" in result.output
    assert runner.invoke(args=["demo", "load", "--force"]).exit_code == 0
