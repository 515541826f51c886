"""What kind of data every column holds (T-DATA-1).

The register drives the personal-data export and erasure (app/auth/personal_data.py) and a test
fails when a column is added without being classified here, so nobody adds personal data by
accident.
"""

from __future__ import annotations

import enum


class DataClass(enum.StrEnum):
    KEY = "key"  # identifiers and references between rows
    PERSONAL = "personal"  # names a person or reaches them: name, email, device
    CREDENTIAL = "credential"  # secrets and their hashes: never exported, never logged
    ACTIVITY = "activity"  # what a person did and when
    SETTING = "setting"  # choices and roles that shape what a person sees or may do
    PRIVATE = "private"  # a person's own writing that nobody else reads
    MUNICIPAL = "municipal"  # a municipality's strategy content: sensitive, belongs to the city
    ORGANISATION = "organisation"  # municipalities and cohorts as organisations
    CONTENT_REF = "content_ref"  # keys of guide content (modules, steps, sections)


K, P, S, A = DataClass.KEY, DataClass.PERSONAL, DataClass.CREDENTIAL, DataClass.ACTIVITY
SET, PRIV, MUN = DataClass.SETTING, DataClass.PRIVATE, DataClass.MUNICIPAL
ORG, REF = DataClass.ORGANISATION, DataClass.CONTENT_REF

COLUMNS: dict[str, dict[str, DataClass]] = {
    "user": {
        "id": K,
        "email": P,
        "name": P,
        "password_hash": S,
        "locale": SET,
        "site_role": SET,
        "active": SET,
        "created_at": A,
        "password_changed_at": A,
        "totp_secret": S,
        "totp_last_step": S,
    },
    "recovery_code": {"id": K, "user_id": K, "code_hash": S, "used_at": A},
    # The throttle is keyed by the account name someone typed, known or not.
    "login_throttle": {
        "key": P,
        "failures": A,
        "lock_count": A,
        "next_attempt_at": A,
        "locked_until": A,
        "updated_at": A,
    },
    "user_session": {
        "id": K,
        "token_hash": S,
        "user_id": K,
        "data": S,  # holds the CSRF secret and sign-in state
        "user_agent": P,
        "created_at": A,
        "last_seen": A,
    },
    "membership": {"id": K, "user_id": K, "municipality_id": K, "role": SET, "created_at": A},
    "invitation": {
        "id": K,
        "token_hash": S,
        "purpose": SET,
        "email": P,
        "site_role": SET,
        "municipality_id": K,
        "municipal_role": SET,
        "created_by_id": K,
        "created_at": A,
        "expires_at": A,
        "used_at": A,
    },
    "password_reset": {
        "id": K,
        "token_hash": S,
        "user_id": K,
        "created_by_id": K,
        "created_at": A,
        "expires_at": A,
        "used_at": A,
    },
    "municipality": {"id": K, "name": ORG, "country": ORG, "region": ORG, "created_at": ORG},
    "step_progress": {"id": K, "user_id": K, "step_key": REF, "first_seen": A},
    "module_progress": {
        "id": K,
        "user_id": K,
        "module_key": REF,
        "steps_seen": A,
        "last_step_key": REF,
        "quiz_passed": A,
        "best_score": A,
        "latest_score": A,
        "started_at": A,
        "updated_at": A,
        "completed_at": A,
    },
    "quiz_attempt": {
        "id": K,
        "user_id": K,
        "module_key": REF,
        "layout": REF,
        "answers": A,
        "correct_count": A,
        "question_count": A,
        "score": A,
        "passed": A,
        "started_at": A,
        "submitted_at": A,
    },
    "readiness_assessment": {
        "id": K,
        "user_id": K,
        "municipality_id": K,
        "ratings": A,
        "created_at": A,
    },
    "reflection_note": {
        "id": K,
        "user_id": K,
        "module_key": REF,
        "prompt_number": REF,
        "text": PRIV,
        "updated_at": A,
    },
    "strategy": {
        "id": K,
        "municipality_id": K,
        "status": MUN,
        "status_changed_at": MUN,
        "created_at": MUN,
    },
    "worksheet": {
        "id": K,
        "strategy_id": K,
        "section_slug": REF,
        "data": MUN,
        "version": MUN,
        "updated_at": A,
        "updated_by_id": K,
    },
    "worksheet_revision": {
        "id": K,
        "worksheet_id": K,
        "version": MUN,
        "data": MUN,
        "save_id": K,
        "author_id": K,
        "created_at": A,
        "restored_from": MUN,
    },
    # A person's text that met a conflicting save: written for the city's worksheet.
    "worksheet_draft": {
        "id": K,
        "worksheet_id": K,
        "user_id": K,
        "base_version": MUN,
        "data": MUN,
        "created_at": A,
    },
    "audit_event": {
        "id": K,
        "municipality_id": K,
        "actor_id": K,
        "action": A,
        "section_slug": REF,
        "detail": MUN,
        "created_at": A,
    },
    "cohort": {
        "id": K,
        "name": ORG,
        "description": ORG,
        "language": ORG,
        "starts_on": ORG,
        "ends_on": ORG,
        "join_code": S,  # lets anyone join while the window is open
        "join_until": ORG,
        "closed_at": ORG,
        "created_by_id": K,
        "created_at": ORG,
    },
    "cohort_trainer": {"id": K, "cohort_id": K, "user_id": K},
    "cohort_module": {"id": K, "cohort_id": K, "module_key": REF, "position": ORG},
    "cohort_member": {
        "id": K,
        "cohort_id": K,
        "user_id": K,
        "municipality_id": K,
        "joined_at": A,
    },
    "cohort_share": {
        "id": K,
        "cohort_id": K,
        "municipality_id": K,
        "shared_by_id": K,
        "shared_at": A,
    },
}


def classification(table: str, column: str) -> DataClass:
    return COLUMNS[table][column]
