"""The password policy (NIST SP 800-63B-4 as SECURITY.md adopts it) and Argon2id hashing."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 15
MAX_LENGTH = 256
# zxcvbn scores 0..4; below 3 means guessable within about 10^8 tries.
MIN_ZXCVBN_SCORE = 3
# zxcvbn refuses more than 72 characters; the head of a long passphrase says enough.
ZXCVBN_SAMPLE = 72

PRODUCT_WORDS = (
    "strong",
    "cities",
    "strongcities",
    "strong cities network",
    "network",
    "prevention",
    "mayor",
    "municipality",
    "admin",
    "administrator",
    "trainer",
    "coordinator",
    "editor",
    "viewer",
    "member",
)

# The site's name and the role names, as every language of the site shows them: their
# translations are "words from this site" too (the English ones are above).
TRANSLATED_PRODUCT_MESSAGES = (
    "Strong Cities learning",
    "Administrator",
    "Trainer",
    "Coordinator",
    "Editor",
    "Viewer",
    "Member",
)

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def normalise(password: str) -> str:
    """NFKC so that the same password typed on different keyboards verifies the same."""
    return unicodedata.normalize("NFKC", password)


@lru_cache(maxsize=1)
def _blocklist() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, context: tuple[str, ...] = ()) -> list[str]:
    """Reasons (already translated lazily) why a new password is refused; empty when fine."""
    password = normalise(password)
    length = len(password)  # code points, never bytes
    if length < MIN_LENGTH:
        return [
            _l(
                "Use at least %(min)s characters. A few unrelated words make a good one.",
                min=MIN_LENGTH,
            )
        ]
    if length > MAX_LENGTH:
        return [_l("Use at most %(max)s characters.", max=MAX_LENGTH)]
    lowered = password.casefold()
    if lowered in _blocklist() or lowered.strip() in _context_words(context):
        return [_l("This password is too common. Choose something others would not guess.")]
    words = list(_context_words(context)) + list(PRODUCT_WORDS) + list(_translated_words())
    if _is_only_known_words(lowered, words):
        return [
            _l(
                "This password is made of your name, your city or words from this site. "
                "Add words of your own."
            )
        ]
    if zxcvbn(password[:ZXCVBN_SAMPLE], user_inputs=words)["score"] < MIN_ZXCVBN_SCORE:
        return [
            _l(
                "This password is too easy to guess: avoid names, repeated words and "
                "words from this site. A few unrelated words make a good one."
            )
        ]
    return []


def _is_only_known_words(lowered: str, words: list[str]) -> bool:
    """True when little but known words, digits and punctuation remain (`trincomalee2025!!`)."""
    rest = lowered
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "")
    return sum(character.isalpha() for character in rest) < 4


def _translated_words() -> tuple[str, ...]:
    if not has_app_context():
        return ()
    return _translations_of_product_words(tuple(current_app.config["LANGUAGES"]))


@lru_cache(maxsize=4)
def _translations_of_product_words(locales: tuple[str, ...]) -> tuple[str, ...]:
    words = set()
    for locale in locales:
        with force_locale(locale):
            for message in TRANSLATED_PRODUCT_MESSAGES:
                text = normalise(gettext(message)).casefold()
                words.add(text)
                words.update(part for part in text.split() if len(part) > 2)
    return tuple(sorted(words - set(PRODUCT_WORDS)))


def _context_words(context: tuple[str, ...]) -> set[str]:
    words = set()
    for item in context:
        item = normalise(item or "").casefold()
        if "@" in item:
            item = item.split("@", 1)[0]
        if item:
            words.add(item)
            words.update(part for part in item.replace(".", " ").split() if len(part) > 2)
    return words


def hash_password(password: str) -> str:
    return _hasher.hash(normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A hash of a random string, verified against when the account does not exist so that
# unknown and known accounts take the same time to refuse.
@lru_cache(maxsize=1)
def dummy_hash() -> str:
    return _hasher.hash("no account has this password, it only burns time")
