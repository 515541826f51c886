"""T-AC-4: what a trainer sees of a city's strategy, before a share, during it and after it.

City A's coordinator takes part in cohort X2; A has not shared its strategy with X2. The
trainer of X2 sees on the dashboard how far A's strategy has come (sections complete and
started) but none of its text: every text field of A's worksheet holds a canary, and every
page and export the trainer can open is searched for them. Then A's coordinator shares with
X2: the trainer reads the content. Then the coordinator stops sharing: the trainer's very next
request shows none of it.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from flask import url_for

from app.extensions import db
from app.models import (
    Cohort,
    CohortMember,
    CohortModule,
    CohortTrainer,
    MunicipalRole,
    SiteRole,
)
from app.models.base import utcnow
from app.strategy import service
from tests.helpers import login, make_municipality, make_user, post, soup
from tests.test_access_matrix import MODULE_KEY, readable_text


def test_trainer_sees_content_only_while_shared(app):
    started = time.perf_counter()
    city = make_municipality(app, "Colombo", "LK", "South Asia")
    coordinator = make_user(
        app,
        "coordinator@example.org",
        name="Chamari Coordinator",
        municipality_id=city,
        municipal_role=MunicipalRole.COORDINATOR,
    )
    editor = make_user(app, "editor@example.org", name="Eshan Editor", municipality_id=city)
    trainer = make_user(app, "trainer@example.org", name="Tomas Trainer", role=SiteRole.TRAINER)
    canaries = {
        field: f"CANARY-A-{field}-{secrets.token_hex(4)}"
        for field in ("notes", "summary", "action_1", "action_2")
    }
    with app.app_context():
        strategy = service.strategy_of(city)
        worksheet = service.worksheet_of(strategy, "context")
        data = {
            "notes": canaries["notes"],
            "summary": canaries["summary"],
            "kind": "city",
            "levels": ["primary"],
            "trust": 3,
            "actions": [
                {"action": canaries["action_1"], "status": "planned"},
                {"action": canaries["action_2"], "status": "done"},
            ],
        }
        assert isinstance(service.save_section(worksheet, 0, data, editor), service.Saved)
        cohort = Cohort(
            name="Regional course",
            description="",
            join_code=secrets.token_hex(4).upper(),
            join_until=utcnow() + timedelta(days=30),
            created_by_id=trainer,
        )
        cohort.trainers.append(CohortTrainer(user_id=trainer))
        cohort.modules.append(CohortModule(module_key=MODULE_KEY, position=0))
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=coordinator, municipality_id=city))
        db.session.commit()
        cohort_id = cohort.id
    with app.test_request_context():
        share_url = url_for("strategy.share", municipality_id=city)
        overview_url = url_for("strategy.overview", municipality_id=city)
        dashboard = url_for("cohorts.show", cohort_id=cohort_id)
        shared_page = url_for("cohorts.shared_strategy", cohort_id=cohort_id, municipality_id=city)
        trainer_urls = [
            dashboard,
            url_for("cohorts.participant", cohort_id=cohort_id, user_id=coordinator),
            url_for("cohorts.export", cohort_id=cohort_id, kind="csv"),
            url_for("cohorts.export", cohort_id=cohort_id, kind="xlsx"),
            shared_page,
        ]

    trainer_client = app.test_client()
    assert login(trainer_client, "trainer@example.org").status_code == 302
    coordinator_client = app.test_client()
    assert login(coordinator_client, "coordinator@example.org").status_code == 302

    def seen_by_trainer() -> tuple[set[str], dict[str, int]]:
        """The canaries found in every page and export the trainer opens, and the statuses."""
        found, statuses = set(), {}
        for url in trainer_urls:
            response = trainer_client.get(url)
            statuses[url] = response.status_code
            text = readable_text(response)
            found |= {field for field, value in canaries.items() if value in text}
        return found, statuses

    def set_share(shared: bool) -> None:
        data = {"cohort": cohort_id, **({"shared": "y"} if shared else {})}
        response = post(coordinator_client, share_url, data, token_from=overview_url)
        assert response.status_code == 302, response.status_code

    def completion() -> str:
        """The dashboard's row for city A: sections complete (started), no link unless shared."""
        rows = soup(trainer_client.get(dashboard)).select("tbody tr")
        row = next(tr for tr in rows if "Colombo" in tr.th.text)
        linked = row.th.find("a") is not None
        return row.find_all("td")[2].get_text(" ", strip=True) + (" linked" if linked else "")

    # Before any share: completion figures only.
    before, statuses_before = seen_by_trainer()
    figures = [completion()]
    assert figures[0] == "1 (1 started)", figures
    assert statuses_before[shared_page] == 404
    assert all(status == 200 for url, status in statuses_before.items() if url != shared_page)

    # Shared: the trainer reads every field.
    set_share(True)
    during, statuses_during = seen_by_trainer()
    assert statuses_during[shared_page] == 200
    figures.append(completion())

    # Unshared: gone on the very next request.
    set_share(False)
    after, statuses_after = seen_by_trainer()
    assert statuses_after[shared_page] == 404
    figures.append(completion())

    print(
        f"T-AC-4: {len(trainer_urls)} trainer pages and exports x 3 states; "
        f"{len(before)} content canaries before share / {len(after)} after unshare; "
        f"{len(during)}/{len(canaries)} after share; dashboard showed per-section completion "
        f"{figures} (before / shared / after); {time.perf_counter() - started:.1f} s"
    )
    assert before == set() and after == set()
    assert during == set(canaries)
    assert figures == ["1 (1 started)", "1 (1 started) linked", "1 (1 started)"]
