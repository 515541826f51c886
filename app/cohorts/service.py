"""Cohort operations shared by routes and the demo command; they flush, callers commit."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from app.content import catalog
from app.extensions import db
from app.models import (
    Cohort,
    CohortMember,
    CohortModule,
    CohortShare,
    CohortTrainer,
    Membership,
    SiteRole,
    User,
)
from app.models.base import utcnow

# Codes people type from a slide: no 0/O or 1/I/L to confuse.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
DEFAULT_JOIN_WINDOW = timedelta(days=60)


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def may_run_cohorts(user) -> bool:
    return user.is_authenticated and user.site_role in (SiteRole.ADMIN, SiteRole.TRAINER)


def visible_cohorts(user):
    query = select(Cohort).order_by(Cohort.created_at.desc())
    if not user.is_admin:
        query = query.join(CohortTrainer).where(CohortTrainer.user_id == user.id)
    return list(db.session.execute(query).scalars())


def trains(user, cohort: Cohort) -> bool:
    return user.is_admin or any(trainer.user_id == user.id for trainer in cohort.trainers)


def create_cohort(
    trainer: User,
    *,
    name: str,
    description: str = "",
    language: str = "en",
    starts_on=None,
    ends_on=None,
    module_keys=(),
    join_window=None,
) -> Cohort:
    cohort = Cohort(
        name=name.strip(),
        description=(description or "").strip(),
        language=language,
        starts_on=starts_on,
        ends_on=ends_on,
        join_code=new_join_code(),
        join_until=utcnow() + (join_window or DEFAULT_JOIN_WINDOW),
        created_by_id=trainer.id,
    )
    cohort.trainers.append(CohortTrainer(user_id=trainer.id))
    set_modules(cohort, module_keys)
    db.session.add(cohort)
    db.session.flush()
    return cohort


def set_modules(cohort: Cohort, module_keys) -> None:
    known = {module.key for module in catalog().modules()}
    wanted = [key for key in dict.fromkeys(module_keys) if key in known]
    # Keep the rows of modules that stay: the unit of work inserts before it deletes, so a
    # removed and re-added key would break the (cohort, module) unique constraint.
    existing = {item.module_key: item for item in cohort.modules}
    cohort.modules[:] = [existing.get(key) or CohortModule(module_key=key) for key in wanted]
    for index, item in enumerate(cohort.modules):
        item.position = index


def find_by_code(code: str) -> Cohort | None:
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    if not code:
        return None
    return db.session.execute(select(Cohort).where(Cohort.join_code == code)).scalar_one_or_none()


def membership(cohort_id: int, user_id: int) -> CohortMember | None:
    return db.session.execute(
        select(CohortMember).where(
            CohortMember.cohort_id == cohort_id, CohortMember.user_id == user_id
        )
    ).scalar_one_or_none()


def join(cohort: Cohort, user: User, municipality_id: int | None) -> CohortMember:
    member = membership(cohort.id, user.id)
    if member is None:
        member = CohortMember(cohort_id=cohort.id, user_id=user.id)
        db.session.add(member)
    member.municipality_id = municipality_id
    db.session.flush()
    return member


def remove_member(cohort: Cohort, user_id: int) -> None:
    db.session.execute(
        delete(CohortMember).where(
            CohortMember.cohort_id == cohort.id, CohortMember.user_id == user_id
        )
    )


def close(cohort: Cohort) -> None:
    cohort.closed_at = utcnow()


def shared_municipalities(cohort_id: int) -> set[int]:
    rows = db.session.execute(
        select(CohortShare.municipality_id).where(CohortShare.cohort_id == cohort_id)
    ).scalars()
    return set(rows)


def cohorts_sharing(municipality_id: int) -> set[int]:
    """The cohorts whose trainers may read this municipality's strategy."""
    rows = db.session.execute(
        select(CohortShare.cohort_id).where(CohortShare.municipality_id == municipality_id)
    ).scalars()
    return set(rows)


def cohorts_of_municipality(municipality_id: int):
    """Cohorts in which a member of this municipality takes part (sharing candidates).

    The municipality a participant names on joining is not proof: only people who really
    belong to it count, so nobody can put a cohort in front of a coordinator by claiming a city.
    """
    return list(
        db.session.execute(
            select(Cohort)
            .join(CohortMember)
            .join(
                Membership,
                (Membership.user_id == CohortMember.user_id)
                & (Membership.municipality_id == CohortMember.municipality_id),
            )
            .where(CohortMember.municipality_id == municipality_id)
            .distinct()
            .order_by(Cohort.name)
        ).scalars()
    )


def share(cohort_id: int, municipality_id: int, user_id: int, shared: bool) -> None:
    existing = db.session.execute(
        select(CohortShare).where(
            CohortShare.cohort_id == cohort_id, CohortShare.municipality_id == municipality_id
        )
    ).scalar_one_or_none()
    if shared and existing is None:
        db.session.add(
            CohortShare(cohort_id=cohort_id, municipality_id=municipality_id, shared_by_id=user_id)
        )
    elif not shared and existing is not None:
        db.session.delete(existing)
    db.session.flush()
