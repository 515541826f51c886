"""T-LOAD-2 simulated users, run by bench/mixed_load.py (`locust -f bench/locustfile.py`).

Participants read step pages, take quizzes, type in their own worksheet field (autosaved the
way app.js does it) and sign in again now and then; trainers open their cohort's dashboard.
Every simulated user presents its own client address (X-Forwarded-For; the server trusts one
proxy) so that per-address limits apply per person, as they would behind a reverse proxy.

BENCH_PLAN names a JSON file written by mixed_load.py: accounts, addresses to visit, and the
file where every request, every autosave sent and every autosave acknowledged is recorded.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path
from urllib.parse import urlencode

import pyotp
from bs4 import BeautifulSoup
from locust import FastHttpUser, between, events, task

PLAN = json.loads(Path(os.environ["BENCH_PLAN"]).read_text())
RECORDS: list[dict] = []
PARTICIPANTS = itertools.count()
TRAINERS = itertools.count()
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
QUIZ_ACTION = re.compile(r'<form method="post" action="([^"]+/quiz/\d+)"')
QUIZ_OPTION = re.compile(
    r'<input[^>]*name="(q\d+)"[^>]*type="(radio|checkbox)"[^>]*value="([^"]*)"'
)
SENTENCES = (
    "The youth council asked for evening sessions in the two northern districts.",
    "Social workers will meet monthly with the school counsellors and the imam council.",
    "A referral desk at the municipal service centre takes calls in three languages.",
    "Funding for the sports programme is confirmed until the end of next year.",
    "The mayor's office will publish a short statement after every serious incident.",
    "Community leaders noted rising hostility online after the flood relief dispute.",
    "Training for front-line staff starts with the housing and library teams.",
)


@events.request.add_listener
def _record_request(name, response_time, response, exception, start_time, **_kwargs):
    RECORDS.append(
        {
            "t": "req",
            "name": name,
            "at": start_time,
            "ms": response_time,
            "status": getattr(response, "status_code", 0) or 0,
            "ok": exception is None,
        }
    )


@events.quitting.add_listener
def _write_records(**_kwargs):
    with open(PLAN["records"], "w", encoding="utf-8") as out:
        for record in RECORDS:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _form_fields(form) -> dict[str, list[str]]:
    """What `new FormData(form)` holds: enabled controls, checked boxes, selected options."""
    fields: dict[str, list[str]] = {}
    for control in form.find_all(["input", "textarea", "select"]):
        name = control.get("name")
        if not name or control.has_attr("disabled"):
            continue
        if control.name == "textarea":
            text = control.get_text()
            # A browser drops the newline that WTForms writes after the opening tag.
            value = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
        elif control.name == "select":
            option = control.find("option", selected=True) or control.find("option")
            value = "" if option is None else option.get("value", option.get_text())
        else:
            kind = control.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                continue
            if kind in ("checkbox", "radio") and not control.has_attr("checked"):
                continue
            value = control.get("value", "on" if kind in ("checkbox", "radio") else "")
        fields.setdefault(name, []).append(value)
    return fields


class Visitor(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)
    address = "127.0.0.1"

    def call(self, method, path, name, expect=(200,), data=None, headers=None):
        """One request, counted under `name`; anything but the expected statuses fails."""
        head = {"X-Forwarded-For": self.address, **(headers or {})}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            head["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.request(
            method,
            path,
            name=name,
            data=body,
            headers=head,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code in expect:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")
            return response

    def sign_in_with_password(self, email: str) -> int:
        """A fresh browser session: the sign-in page, then the password. Returns the status."""
        self.client.cookiejar.clear()
        page = self.call("GET", "/login", "sign-in page")
        token = TOKEN.search(page.text or "")
        if token is None:
            return page.status_code
        answer = self.call(
            "POST",
            "/login",
            "sign-in",
            expect=(302,),
            data={"csrf_token": token.group(1), "email": email, "password": PLAN["password"]},
        )
        return answer.status_code


class Trainer(Visitor):
    """Signs in once with a password and a TOTP code, then watches the cohort dashboard."""

    fixed_count = PLAN["trainer_count"]

    def on_start(self):
        number = next(TRAINERS)
        self.account = PLAN["trainers"][number]
        self.address = f"10.1.{number // 250}.{number % 250 + 1}"
        self.signed_in = False
        if self.sign_in_with_password(self.account["email"]) != 302:
            return
        page = self.call("GET", "/login/two-factor", "second-factor page")
        token = TOKEN.search(page.text or "")
        if token is None:
            return
        code = pyotp.TOTP(self.account["totp_secret"]).now()
        answer = self.call(
            "POST",
            "/login/two-factor",
            "second factor",
            expect=(302,),
            data={"csrf_token": token.group(1), "code": code},
        )
        self.signed_in = answer.status_code == 302

    @task
    def dashboard(self):
        if self.signed_in:
            self.call("GET", self.account["dashboard"], "dashboard")


class Participant(Visitor):
    def on_start(self):
        number = next(PARTICIPANTS) % len(PLAN["participants"])
        self.number = number
        self.rng = random.Random(number)  # noqa: S311 (repeatable choices, no secrets)
        self.account = PLAN["participants"][number]
        self.address = f"10.0.{number // 250}.{number % 250 + 1}"
        self.form: dict[str, list[str]] | None = None
        self.autosave_url = ""
        self.edits = 0
        self.signed_in = self.sign_in_with_password(self.account["email"]) == 302

    @task(60)
    def step_page(self):
        self.call("GET", self.rng.choice(PLAN["steps"]), "step page")

    @task(15)
    def quiz(self):
        if not self.signed_in:
            return
        page = self.call("GET", self.rng.choice(PLAN["quizzes"]), "quiz page")
        action = QUIZ_ACTION.search(page.text or "")
        token = TOKEN.search(page.text or "")
        if page.status_code != 200 or action is None or token is None:
            return
        questions: dict[str, tuple[str, list[str]]] = {}
        for name, kind, value in QUIZ_OPTION.findall(page.text):
            questions.setdefault(name, (kind, []))[1].append(value)
        answers: dict[str, list[str]] = {"csrf_token": [token.group(1)]}
        for name, (kind, values) in questions.items():
            if kind == "radio":
                answers[name] = [self.rng.choice(values)]
            else:
                answers[name] = self.rng.sample(values, self.rng.randint(1, len(values)))
        result = self.call("POST", action.group(1), "quiz submit", expect=(302,), data=answers)
        if result.status_code == 302:
            self.call("GET", result.headers.get("Location"), "quiz result")

    @task(15)
    def autosave(self):
        """Type in one's own field; the page's script posts the whole form, as app.js does."""
        if not self.signed_in or (self.form is None and not self.open_section()):
            return
        self.edits += 1
        text = self.compose()
        self.form[self.account["field"]] = [text]
        for _attempt in range(3):
            save_id = self.form["save_id"][0]
            self.note("sent", text=text, save_id=save_id)
            response = self.call(
                "POST",
                self.autosave_url,
                "autosave",
                expect=(200, 409),
                data=self.form,
                headers={"X-CSRFToken": self.form["csrf_token"][0], "Accept": "application/json"},
            )
            kind = response.headers.get("Content-Type") or ""
            if response.status_code == 200:
                answer = response.json()
                self.note("ack", text=text, save_id=save_id, version=answer["version"])
                self.form["base_version"] = [str(answer["version"])]
                self.form["save_id"] = [answer["next_save_id"]]
                return
            if response.status_code in (409, 412):
                # Someone saved over the same text: open the page again (their text and the
                # new base version) and type one's own text into it once more.
                if not self.open_section():
                    return
                self.form[self.account["field"]] = [text]
            elif response.status_code == 400 and "json" not in kind:
                # The CSRF token belonged to an earlier session: fetch one, as app.js does.
                fresh = self.call("GET", "/csrf-token", "fresh CSRF token")
                if fresh.status_code != 200:
                    return
                self.form["csrf_token"] = [fresh.json()["token"]]
            else:
                return

    @task(5)
    def sign_in(self):
        self.signed_in = self.sign_in_with_password(self.account["email"]) == 302
        self.form = None  # the worksheet page is opened again after signing in

    def open_section(self) -> bool:
        page = self.call("GET", self.account["section_url"], "worksheet page")
        if page.status_code != 200:
            return False
        form = BeautifulSoup(page.text, "html.parser").find("form", attrs={"data-autosave": True})
        if form is None:
            return False
        self.form = _form_fields(form)
        self.form.pop("row_action", None)
        self.autosave_url = form["data-autosave"]
        return True

    def compose(self) -> str:
        words = " ".join(self.rng.sample(SENTENCES, 3))
        marker = f" [participant {self.number}, edit {self.edits}]"
        return words[: self.account["max_length"] - len(marker)] + marker

    def note(self, kind: str, **values):
        RECORDS.append(
            {
                "t": kind,
                "municipality": self.account["municipality"],
                "section": self.account["section"],
                "field": self.account["field"],
                **values,
            }
        )
