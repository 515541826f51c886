"""Progress and resume, quizzes with feedback, readiness, notes and certificates."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select

from app.content import catalog
from app.extensions import db
from app.learn import progress
from app.models import ModuleProgress, QuizAttempt, ReflectionNote, StepProgress
from app.models.base import utcnow
from tests.helpers import login, make_user, post, soup, text_of

STEPS = ["/guides/demo/intro/first", "/guides/demo/intro/second"]
RIGHT = {"q1": "true", "q2": "b", "q3": ["a", "b"]}


@pytest.fixture
def member(app, client):
    user_id = make_user(app)
    login(client)
    return user_id


def module_row(app, user_id):
    with app.app_context():
        return db.session.execute(
            select(ModuleProgress).where(ModuleProgress.user_id == user_id)
        ).scalar_one_or_none()


def quiz_form_data(client, answers):
    """Open the quiz, map question ids to the shown field names, return url and data."""
    page = soup(client.get("/guides/demo/intro/quiz"))
    form = page.find("form", attrs={"method": "post", "action": lambda a: a and "/quiz/" in a})
    data = {"csrf_token": form.find("input", attrs={"name": "csrf_token"})["value"]}
    prompts = {"Is it?": "q1", "Which one?": "q2", "Which ones?": "q3"}
    for fieldset in form.find_all("fieldset"):
        question = prompts[fieldset.legend.get_text().split(". ", 1)[1].strip()]
        name = fieldset.find("input")["name"]
        if question in answers:
            data[name] = answers[question]
    return form["action"], data


def take_quiz(client, answers):
    action, data = quiz_form_data(client, answers)
    return client.post(action, data=data)


def test_reading_a_step_records_progress_once(app, client, member):
    client.get(STEPS[0])
    client.get(STEPS[0])
    row = module_row(app, member)
    assert (row.steps_seen, row.last_step_key) == (1, "demo/intro/first")
    client.get(STEPS[1])
    assert module_row(app, member).steps_seen == 2


def test_recording_a_step_view_costs_at_most_two_queries(app, member):
    with app.app_context():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        module = catalog().guide("demo").module("intro")
        for _ in range(2):
            statements.clear()
            progress.record_step_view(member, module.steps[0], len(module.steps))
            assert len(statements) <= 2, statements
        event.remove(db.engine, "before_cursor_execute", listener)
        db.session.commit()


def test_module_page_shows_progress_and_the_guide_page_states(app, client, member):
    assert "Not started" in text_of(client.get("/guides/demo"))
    client.get(STEPS[0])
    assert "1 of 2 steps read" in text_of(client.get("/guides/demo/intro"))
    assert "In progress" in text_of(client.get("/guides/demo"))


def test_home_offers_to_continue_where_you_left_off(app, client, member):
    client.get(STEPS[1])
    link = soup(client.get("/")).select_one(".notice a")
    assert link["href"] == STEPS[1]


def test_steps_read_before_signing_in_move_to_the_account(app, client):
    user_id = make_user(app)
    client.get(STEPS[0])
    client.get(STEPS[1])
    login(client)
    assert module_row(app, user_id).steps_seen == 2
    with app.app_context():
        assert db.session.scalar(select(func.count(StepProgress.id))) == 2


def test_quiz_order_is_shuffled_but_stable_within_an_attempt(app, client, member):
    first, _ = quiz_form_data(client, {})
    again, _ = quiz_form_data(client, {})
    assert first == again  # the same attempt is offered until it is submitted
    with app.app_context():
        attempt = db.session.execute(select(QuizAttempt)).scalar_one()
        assert sorted(q for q, _ in attempt.layout) == ["q1", "q2", "q3"]
    orders = set()
    for _ in range(12):
        with app.app_context():
            module = catalog().guide("demo").module("intro")
            from app.learn.quizzes import shuffled_layout

            orders.add(str(shuffled_layout(module)))
    assert len(orders) > 1


def test_all_right_passes_and_completes_the_module_after_all_steps(app, client, member):
    for url in STEPS:
        client.get(url)
    result = client.get(take_quiz(client, RIGHT).headers["Location"])
    assert "100%" in text_of(result) and "You passed." in text_of(result)
    row = module_row(app, member)
    assert row.completed_at is not None and row.best_score == 100


def test_passing_before_reading_every_step_completes_on_the_last_step(app, client, member):
    client.get(STEPS[0])
    take_quiz(client, RIGHT)
    assert module_row(app, member).completed_at is None
    client.get(STEPS[1])
    assert module_row(app, member).completed_at is not None


def test_partly_right_multiple_choice_counts_as_wrong(app, client, member):
    answers = {**RIGHT, "q3": ["a"]}
    result = client.get(take_quiz(client, answers).headers["Location"])
    assert "67%" in text_of(result)  # 2 of 3
    with app.app_context():
        attempt = db.session.execute(select(QuizAttempt)).scalar_one()
        assert (attempt.correct_count, attempt.passed) == (2, True)


def test_failing_shows_feedback_and_the_correct_answer_then_a_retake_is_kept(app, client, member):
    wrong = {"q1": "false", "q2": "a", "q3": ["c"]}
    result = text_of(client.get(take_quiz(client, wrong).headers["Location"]))
    assert "0%" in result and "Not passed yet" in result
    assert "Not alpha." in result and "Beta is right." in result  # chosen and correct
    client.get(take_quiz(client, RIGHT).headers["Location"])
    row = module_row(app, member)
    assert (row.best_score, row.latest_score) == (100, 100)
    page = text_of(client.get("/guides/demo/intro"))
    assert "Best score: 100%" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(QuizAttempt.id))) == 2


def test_unanswered_question_keeps_the_answers_given(app, client, member):
    action, data = quiz_form_data(client, {"q1": "true"})
    response = client.post(action, data=data)
    assert response.status_code == 400
    assert "Please answer this question." in text_of(response)
    checked = soup(response).select("input[checked]")
    assert [box["value"] for box in checked] == ["true"]


def test_tampered_option_id_gets_a_clear_message(app, client, member):
    action, data = quiz_form_data(client, RIGHT)
    for name, value in list(data.items()):
        if value == "b":
            data[name] = "zzz"
    response = client.post(action, data=data)
    assert response.status_code == 400
    assert "Not a valid choice" in text_of(response)


def test_submitting_twice_shows_the_first_result(app, client, member):
    action, data = quiz_form_data(client, RIGHT)
    client.post(action, data=data)
    again = client.post(action, data=data, follow_redirects=True)
    assert "already submitted" in text_of(again)
    with app.app_context():
        assert db.session.scalar(select(func.count(QuizAttempt.id))) == 1


def test_expired_attempt_is_not_scored(app, client, member):
    action, data = quiz_form_data(client, RIGHT)
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=False):
        client.get("/")  # keep the session alive across the jump
    with app.app_context():
        attempt = db.session.execute(select(QuizAttempt)).scalar_one()
        attempt.started_at = utcnow() - timedelta(hours=25)
        db.session.commit()
    response = client.post(action, data=data, follow_redirects=True)
    assert "expired" in text_of(response)
    with app.app_context():
        assert db.session.execute(select(QuizAttempt.score)).scalars().all()[0] is None


def test_another_persons_attempts_are_404(app, client, member):
    action, data = quiz_form_data(client, RIGHT)
    result_url = client.post(action, data=data).headers["Location"]
    make_user(app, "other@example.org")
    other = app.test_client()
    login(other, "other@example.org")
    assert other.get(result_url).status_code == 404
    _, other_data = quiz_form_data(other, RIGHT)
    assert other.post(action, data=other_data).status_code == 404


def test_quiz_needs_an_account(client):
    assert client.get("/guides/demo/intro/quiz").status_code == 302


def test_notes_are_saved_listed_downloaded_and_private(app, client, member):
    post(
        client,
        "/guides/demo/intro/notes",
        {"note1": "Call the imam and the youth council.", "note2": ""},
        token_from="/guides/demo/intro",
    )
    page = text_of(client.get("/notes"))
    assert "Call the imam and the youth council." in page and "What would you do first?" in page
    download = client.get("/notes/download")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "Call the imam" in download.get_data(as_text=True)
    make_user(app, "other@example.org")
    other = app.test_client()
    login(other, "other@example.org")
    assert "Call the imam" not in other.get("/notes").get_data(as_text=True)
    assert "Call the imam" not in other.get("/guides/demo/intro").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ReflectionNote.id))) == 1


def test_readiness_profile_recommends_modules_for_weak_themes(app, client, member):
    ratings = {"s_m1": "1", "s_m2": "2", "s_p1": "5", "s_p2": "4"}
    response = post(client, "/readiness", ratings, token_from="/readiness")
    profile = client.get(response.headers["Location"])
    page = soup(profile)
    rows = {
        tr.th.get_text(strip=True): tr.find_all("td")[0].get_text(strip=True)
        for tr in page.select("tbody tr")
    }
    assert rows == {"Mandate": "1.5", "Partners": "4.5"}
    assert page.find("svg", attrs={"role": "img"}) is not None
    assert [a["href"] for a in page.select("h2 + p + ul a")] == ["/guides/demo/intro"]
    again = post(
        client, "/readiness", {**ratings, "s_m1": "3", "s_m2": "4"}, token_from="/readiness"
    )
    second = soup(client.get(again.headers["Location"]))
    changes = [tr.find_all("td")[1].get_text(strip=True) for tr in second.select("tbody tr")]
    assert changes == ["+2.0", "0.0"]


def test_readiness_of_another_person_is_404(app, client, member):
    response = post(
        client,
        "/readiness",
        {"s_m1": "1", "s_m2": "1", "s_p1": "1", "s_p2": "1"},
        token_from="/readiness",
    )
    make_user(app, "other@example.org")
    other = app.test_client()
    login(other, "other@example.org")
    assert other.get(response.headers["Location"]).status_code == 404


def test_certificate_only_after_every_module_is_completed(app, client, member):
    assert client.get("/guides/demo/certificate").status_code == 403
    for url in STEPS:
        client.get(url)
    take_quiz(client, RIGHT)
    certificate = client.get("/guides/demo/certificate", headers={"Accept-Language": "ar"})
    assert certificate.status_code == 200
    page = soup(certificate)
    assert page.html["dir"] == "rtl"
    assert "Asha Perera" in page.get_text()


def test_anonymous_reading_needs_no_server_session(app, client):
    from app.models import UserSession

    for url in ("/", "/guides/demo", *STEPS):
        client.get(url)
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id))) == 0
    assert client.get_cookie("seen") is not None and client.get_cookie("session") is None


def test_a_forged_reading_cookie_is_ignored(app, client):
    user_id = make_user(app)
    client.set_cookie("seen", "not-a-signed-value")
    login(client)
    assert module_row(app, user_id) is None
