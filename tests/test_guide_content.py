"""The shipped guides keep the minimums the modules promise (CONTENT.md, issue 3)."""

from pathlib import Path

import pytest

from app.content.loader import load_catalog

GUIDES = load_catalog(Path(__file__).parent.parent / "guides")
MODULES = list(GUIDES.modules())


def test_both_guides_are_there_with_all_their_modules():
    assert [guide.slug for guide in GUIDES.guides] == ["cities", "mayors"]
    assert len(GUIDES.guide("mayors").modules) == 6
    assert len(GUIDES.guide("cities").modules) == 10


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.key)
def test_module_minimums(module):
    assert 3 <= len(module.objectives) <= 5
    assert 4 <= len(module.steps) <= 8
    for step in module.steps:
        words = len(step.body.split())
        assert 150 <= words <= 400, (step.key, words)
        assert step.key_points, step.key
        assert "Try this in your city" in step.body, step.key
    assert 2 <= len(module.reflection) <= 3
    assert module.worksheet_sections


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.key)
def test_quiz_minimums(module):
    questions = module.quiz.questions
    assert len(questions) >= 8
    assert {question.type for question in questions} == {"single", "multiple", "true_false"}
    for question in questions:
        assert all(option.feedback.strip() for option in question.options)


def test_every_worksheet_section_the_strategy_needs_exists():
    slugs = {section.slug for section in GUIDES.worksheets}
    assert {
        "context-and-mandate",
        "risks-and-needs",
        "stakeholder-map",
        "coordination",
        "inclusion-plan",
        "communications",
        "action-plan",
        "monitoring-and-evaluation",
        "continuity",
    } <= slugs
    action_plan = GUIDES.worksheet("action-plan").spec
    table = next(field for field in action_plan.fields if field.type == "table")
    columns = {column.id for column in table.columns}
    assert {"objective", "action", "lead_department", "partners", "budget", "indicator"} <= columns


def test_every_module_feeds_sections_and_every_section_is_fed():
    fed = {slug for module in MODULES for slug in module.worksheet_sections}
    assert fed == {section.slug for section in GUIDES.worksheets}


def test_readiness_assessment_and_glossary():
    readiness = GUIDES.readiness
    assert 12 <= len(readiness.statements) <= 20
    assert all(theme.modules for theme in readiness.themes)
    terms = {term.id for term in GUIDES.glossary.terms}
    assert {
        "prevention",
        "polarisation",
        "whole-of-society-approach",
        "national-local-cooperation",
        "multi-stakeholder-coordination",
    } <= terms
