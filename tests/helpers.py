"""Small factories and request helpers for tests."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from app.auth.passwords import hash_password
from app.extensions import db
from app.models import Membership, Municipality, MunicipalRole, SiteRole, User

PASSWORD = "correct horse battery staple"
_hashes: dict[str, str] = {}


def make_user(
    app,
    email="member@example.org",
    *,
    name="Asha Perera",
    role=SiteRole.MEMBER,
    password=PASSWORD,
    municipality_id=None,
    municipal_role=MunicipalRole.EDITOR,
    locale=None,
) -> int:
    # Hashing costs ~30 ms; tests reuse one hash per password.
    if password not in _hashes:
        _hashes[password] = hash_password(password)
    with app.app_context():
        user = User(
            email=email, name=name, password_hash=_hashes[password], site_role=role, locale=locale
        )
        if municipality_id is not None:
            user.memberships.append(
                Membership(municipality_id=municipality_id, role=municipal_role)
            )
        db.session.add(user)
        db.session.commit()
        return user.id


def make_municipality(app, name="Trincomalee", country="LK", region="South Asia") -> int:
    with app.app_context():
        municipality = Municipality(name=name, country=country, region=region)
        db.session.add(municipality)
        db.session.commit()
        return municipality.id


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csrf_token(client, url="/") -> str | None:
    """The CSRF token a page carries (anonymous pages without a form carry none)."""
    page = client.get(url)
    field = soup(page).find("input", attrs={"name": "csrf_token"})
    return field["value"] if field is not None else None


def post(client, url, data=None, *, token_from="/", **kwargs):
    """Submit a form the way a browser would, with the CSRF token of the session."""
    token = csrf_token(client, token_from)
    payload = {**({"csrf_token": token} if token else {}), **(data or {})}
    return client.post(url, data=payload, **kwargs)


def login(client, email="member@example.org", password=PASSWORD, **kwargs):
    return post(
        client, "/login", {"email": email, "password": password}, token_from="/login", **kwargs
    )


def text_of(response) -> str:
    return re.sub(r"\s+", " ", soup(response).get_text(" "))
