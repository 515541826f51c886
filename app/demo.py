"""`flask demo load`: a realistic South Asia workshop cohort with synthetic progress."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth.passwords import hash_password
from app.cohorts import service as cohorts
from app.content import catalog
from app.extensions import db
from app.learn import quizzes
from app.learn.progress import record_step_view
from app.models import Membership, Municipality, MunicipalRole, SiteRole, User
from app.models.base import utcnow
from app.strategy import service as strategies

DEMO_DOMAIN = "demo.strongcities.invalid"
CITIES = [
    ("Colombo", "LK"),
    ("Trincomalee", "LK"),
    ("Mardan", "PK"),
    ("Peshawar", "PK"),
    ("Delhi", "IN"),
    ("Kolkata", "IN"),
    ("Dhaka", "BD"),
    ("Sylhet", "BD"),
    ("Malé", "MV"),
    ("Addu City", "MV"),
]
PEOPLE = [
    ("Nimal Perera", "si"),
    ("Kavitha Sivakumar", "ta"),
    ("Ayesha Khan", "ur"),
    ("Imran Yousafzai", "ur"),
    ("Priya Sharma", "hi"),
    ("Arindam Bose", "bn"),
    ("Farhana Akter", "bn"),
    ("Tanvir Ahmed", "bn"),
    ("Aishath Shifa", "dv"),
    ("Mohamed Rasheed", "dv"),
    ("Sarah Fernando", "en"),
    ("Rahul Mehta", "hi"),
    ("Zainab Noor", "ar"),
    ("Dilani Jayasinghe", "si"),
    ("Suresh Kumar", "ta"),
    ("Hina Baig", "ur"),
    ("Anjali Das", "bn"),
    ("Ibrahim Faisal", "dv"),
    ("Meera Pillai", "en"),
    ("Kamal Hossain", "bn"),
]
demo_cli = AppGroup("demo", help="Demonstration data.")


@demo_cli.command("load")
@click.option("--force", is_flag=True, help="Load even though real accounts exist.")
def load(force: bool) -> None:
    """Create a South Asia regional workshop cohort with participants and progress."""
    real = db.session.execute(select(User).where(~User.email.endswith("@" + DEMO_DOMAIN))).first()
    if real is not None and not force:
        raise click.ClickException(
            "this database holds real accounts; demo data would mix with them "
            "(use --force to load anyway)"
        )
    if db.session.execute(select(User).where(User.email.endswith(DEMO_DOMAIN))).first():
        raise click.ClickException("demo data is loaded already")
    password = secrets.token_urlsafe(12) + " demo"
    people = create_people(password)
    db.session.commit()
    click.echo(
        f"Loaded {len(CITIES)} municipalities, {len(people)} participants and one "
        f"cohort.\nSign in as trainer@{DEMO_DOMAIN} (or any participant, "
        f"firstname.lastname@{DEMO_DOMAIN}) with the password: {password}"
    )


def create_people(password: str) -> list[User]:
    rng = random.Random(2023)  # noqa: S311 - synthetic demo data, the same every time
    hashed = hash_password(password)
    cities = [Municipality(name=name, country=code, region="South Asia") for name, code in CITIES]
    db.session.add_all(cities)
    trainer = User(
        email=f"trainer@{DEMO_DOMAIN}",
        name="Demo Trainer",
        password_hash=hashed,
        site_role=SiteRole.TRAINER,
    )
    db.session.add(trainer)
    db.session.flush()
    modules = list(catalog().modules())
    cohort = cohorts.create_cohort(
        trainer,
        name="South Asia Regional Hub workshop",
        language="en",
        description="Demonstration cohort with synthetic progress.",
        module_keys=[module.key for module in modules],
    )
    people = []
    for index, (name, locale) in enumerate(PEOPLE):
        city = cities[index % len(cities)]
        role = MunicipalRole.COORDINATOR if index < len(cities) else MunicipalRole.EDITOR
        user = User(
            email=f"{name.lower().replace(' ', '.')}@{DEMO_DOMAIN}",
            name=name,
            password_hash=hashed,
            locale=locale,
        )
        user.memberships.append(Membership(municipality=city, role=role))
        db.session.add(user)
        db.session.flush()
        cohorts.join(cohort, user, city.id)
        _progress(user, modules, rng)
        people.append(user)
    for city, author in zip(cities, people, strict=False):
        _draft(city, author)
    return people


def _progress(user: User, modules, rng: random.Random) -> None:
    for module in modules[: rng.randint(0, len(modules))]:
        read = module.steps[: rng.randint(1, len(module.steps))]
        for step in read:
            record_step_view(user.id, step, len(module.steps))
        if len(read) == len(module.steps) and rng.random() < 0.8:
            attempt = quizzes.open_attempt(user.id, module)
            answers = {
                q.id: sorted(q.correct_ids) if rng.random() < 0.8 else [q.options[0].id]
                for q in module.quiz.questions
            }
            quizzes.submit(attempt, module, answers)
            attempt.submitted_at = utcnow() - timedelta(days=rng.randint(0, 60))


def _draft(city: Municipality, author: User) -> None:
    section = catalog().worksheets[0]
    text_field = next((f for f in section.spec.fields if f.type == "long_text"), None)
    if text_field is None:
        return
    worksheet = strategies.worksheet_of(strategies.strategy_of(city.id), section.slug)
    strategies.save_section(
        worksheet,
        worksheet.version,
        {text_field.id: f"Draft description of {city.name}, written for the demonstration."},
        author.id,
    )
