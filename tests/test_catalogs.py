"""Every interface catalog holds every message of the code, translated, and compiles."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.config import LOCALES

ROOT = Path(__file__).parent.parent
TRANSLATED = [code for code in LOCALES if code != "en"]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A fresh extraction of the code's interface strings (not the committed template)."""
    target = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "--no-location",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(target),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with target.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def catalog(code, domain="messages"):
    with (ROOT / "translations" / code / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        return read_po(handle, locale=code)


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalog_has_every_message_translated(extracted, code):
    po = catalog(code)
    translated = {
        message.id
        for message in po
        if message.id
        and not message.fuzzy
        and all(message.string if isinstance(message.string, tuple) else (message.string,))
    }
    missing = sorted(str(m) for m in extracted - translated)
    assert missing == [], f"{code}: {len(missing)} untranslated, e.g. {missing[:3]}"


@pytest.mark.parametrize("code", TRANSLATED)
@pytest.mark.parametrize("domain", ["messages", "guides"])
def test_catalog_compiles_and_says_it_is_a_machine_draft(code, domain, tmp_path):
    po = catalog(code, domain)
    # Guide content is never %-formatted, and says so; Babel still guesses "42% in" is a format.
    problems = [(m.id, e) for m, e in po.check() if "no-python-format" not in m.flags]
    assert problems == [], problems[:3]
    with (tmp_path / "out.mo").open("wb") as handle:
        write_mo(handle, po)
    # Kept in the header comment, which `pybabel update` preserves (it rewrites headers).
    assert re.search(r"^# translation-source: (machine|reviewed)$", po.header_comment, re.M)
