"""T-AUTH-5: every pathway that checks a password or a secret token is rate-limited.

Each pathway is hammered with wrong input until it refuses; the refusal is a 429 with the
translated error page. The reset token's own rules (single use, expiry after a day, dead after
a password change) are tested in tests/test_administration.py
(test_reset_link_sets_a_new_password_once_and_ends_sessions, test_reset_link_expires_after_a_day,
test_reset_link_dies_when_the_password_changes_meanwhile) and are not repeated here.
"""

import secrets

import pyotp
from flask_babel import force_locale

from app.auth import services, twofactor
from app.errors import MESSAGES
from app.extensions import db, limiter
from app.models import SiteRole, User
from tests.helpers import PASSWORD, csrf_token, login, make_user, soup

WRONG = "definitely not the password"
ARABIC = {"Accept-Language": "ar"}
MOST_ATTEMPTS = 30  # well above every limit: a pathway still open after this fails the test


def hammer(attempt) -> tuple[int, object]:
    """Calls attempt(n) until it answers 429; (the attempt that was refused, its response)."""
    for number in range(1, MOST_ATTEMPTS + 1):
        response = attempt(number)
        assert response.status_code != 500
        if response.status_code == 429:
            return number, response
    return 0, response


def signed_in(app, email, *, totp=False):
    """A signed-in client; with totp, the authenticator is turned on after signing in."""
    user_id = make_user(app, email)
    client = app.test_client()
    assert login(client, email).status_code == 302
    if totp:
        with app.app_context():
            twofactor.enable(db.session.get(User, user_id), pyotp.random_base32())
            db.session.commit()
    return client


def form_poster(client, url, data, token_from=None):
    token = csrf_token(client, token_from or url)

    def attempt(_number):
        return client.post(url, data={"csrf_token": token, **data}, headers=ARABIC)

    return attempt


def link_guesser(client, prefix):
    """Guessed link tokens: each lands on the token route, which checks nothing but is the
    only way to put a token into the session for the form to check."""

    def attempt(_number):
        return client.get(f"{prefix}/{secrets.token_urlsafe(32)}", headers=ARABIC)

    return attempt


def test_every_pathway_that_checks_a_secret_is_rate_limited(app):
    make_user(app, "person@example.org")
    pathways = {}

    pathways["form sign-in POST /login (one account)"] = form_poster(
        app.test_client(), "/login", {"email": "person@example.org", "password": WRONG}
    )

    signed_in(app, "staff@example.org", totp=True)
    pending = app.test_client()
    assert login(pending, "staff@example.org").headers["Location"] == "/login/two-factor"
    pathways["second factor POST /login/two-factor"] = form_poster(
        pending, "/login/two-factor", {"code": "000000"}
    )

    for name, prefix in (("reset", "/reset"), ("invitation", "/invite"), ("setup", "/setup")):
        pathways[f"{name} link GET {prefix}/<token>"] = link_guesser(app.test_client(), prefix)

    # The forms behind the links, with a link that is not (or no longer) valid in the session.
    new_password = {"password": "a new passphrase nobody guesses", "confirm": "x"}
    for name, url in (("reset", "/reset"), ("invitation", "/invite"), ("setup", "/setup")):
        visitor = app.test_client()
        visitor.get(f"{url}/{secrets.token_urlsafe(32)}")
        pathways[f"{name} form POST {url}"] = form_poster(
            visitor, url, {"email": "x@example.org", **new_password}, token_from="/login"
        )

    changer = signed_in(app, "changer@example.org")
    pathways["password change POST /account/password"] = form_poster(
        changer,
        "/account/password",
        {"current": WRONG, "password": "another long passphrase here", "confirm": "x"},
    )
    enroller = signed_in(app, "enroller@example.org")
    pathways["two-factor on POST /account/two-factor"] = form_poster(
        enroller, "/account/two-factor", {"password": WRONG, "code": "123456"}
    )
    disabler = signed_in(app, "disabler@example.org", totp=True)
    pathways["two-factor off POST /account/two-factor"] = form_poster(
        disabler, "/account/two-factor", {"password": WRONG}
    )
    recoverer = signed_in(app, "recoverer@example.org", totp=True)
    pathways["new recovery codes POST /account/two-factor/recovery-codes"] = form_poster(
        recoverer,
        "/account/two-factor/recovery-codes",
        {"password": WRONG},
        token_from="/account/two-factor",
    )
    # Forms other work added to the account pages that also check the password.
    for endpoint, url, data in (
        ("auth.change_email", "/account/email", {"email": "new@example.org", "password": WRONG}),
        ("auth.delete_account", "/account/delete", {"password": WRONG, "confirm": "y"}),
    ):
        if endpoint in app.view_functions:
            client = signed_in(app, f"{endpoint.split('.')[1]}@example.org")
            pathways[f"{endpoint} POST {url}"] = form_poster(client, url, data)

    with app.app_context(), force_locale("ar"):
        arabic_title = str(MESSAGES[429][0])
    stopped = {}
    for name, attempt in pathways.items():
        limiter.reset()  # each pathway measured from a fresh allowance
        number, response = hammer(attempt)
        stopped[name] = number
        assert number, f"{name}: not limited after {MOST_ATTEMPTS} attempts"
        page = soup(response)
        assert page.html["lang"] == "ar" and page.html["dir"] == "rtl", name
        assert page.find("h1").get_text(strip=True) == arabic_title, name

    print(f"\nT-AUTH-5: {len(stopped)} pathways; all rate-limited")
    for name, number in stopped.items():
        print(f"  {name}: 429 at attempt {number}")
    # The sign-in form's limits: 5 per minute per account, 20 per minute per address.
    assert stopped["form sign-in POST /login (one account)"] == 6
    assert all(number <= 21 for number in stopped.values())


def test_password_rechecks_share_one_allowance_per_account(app):
    client = signed_in(app, "recheck@example.org", totp=True)
    token = csrf_token(client, "/account/password")
    wrong = {"csrf_token": token, "current": WRONG, "password": "x", "confirm": "x"}
    statuses = [client.post("/account/password", data=wrong).status_code for _ in range(5)]
    assert statuses == [200] * 5
    # The allowance is spent: the two-factor forms refuse too, the right password included.
    for url in ("/account/two-factor", "/account/two-factor/recovery-codes"):
        refused = client.post(url, data={"csrf_token": token, "password": PASSWORD})
        assert refused.status_code == 429, url
    # Another person's allowance is untouched.
    other = signed_in(app, "other@example.org")
    answer = other.post(
        "/account/password", data={**wrong, "csrf_token": csrf_token(other, "/account/password")}
    )
    assert answer.status_code == 200


def test_a_valid_link_still_works_after_guessing_from_elsewhere(app):
    """The per-address limit on link tokens does not lock out the person the link is for."""
    admin_id = make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    with app.app_context():
        token = services.create_invitation(
            created_by=db.session.get(User, admin_id), email="new@example.org"
        )
        db.session.commit()
    guesser = link_guesser(app.test_client(), "/invite")
    assert hammer(guesser)[0]
    invited = app.test_client()
    landing = invited.get(f"/invite/{token}", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert landing.status_code == 302
    assert invited.get("/invite", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
