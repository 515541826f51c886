"""The password policy and Argon2id hashing (NIST SP 800-63B-4 as SECURITY.md adopts it)."""

import argon2
import pytest

from app.auth.passwords import hash_password, needs_rehash, password_problems, verify_password

GOOD = [
    "correct horse battery staple",
    "mango monsoon ferry lantern",
    "ලංකා නගරය සාමය සදහටම",  # Sinhala words, no composition rules
    "مدينتنا تستحق السلام دائما",
    "x" * 3 + "q7!Zp#4rT@9wLm2",
    "a" * 10 + " Bv8#kq2Lz" * 20,  # 210 characters
]
BAD = [
    "short pass",  # under 15
    "password1234567",  # blocklisted pattern
    "aaaaaaaaaaaaaaaa",
    "strongcities2024",  # the product's name
    "qwertyuiopasdfgh",  # keyboard walk
    "x" * 257,  # over the maximum
]


@pytest.mark.parametrize("password", GOOD)
def test_acceptable_passwords(plain_app, password):
    with plain_app.test_request_context():
        assert password_problems(password) == []


@pytest.mark.parametrize("password", BAD)
def test_refused_passwords(plain_app, password):
    with plain_app.test_request_context():
        assert password_problems(password) != []


def test_context_words_are_refused(plain_app):
    with plain_app.test_request_context():
        assert password_problems("fathima.rizwan!!", ("fathima.rizwan@example.org",)) != []
        assert password_problems("trincomalee2025!!", ("Trincomalee",)) != []


def test_length_counts_code_points_not_bytes(plain_app):
    with plain_app.test_request_context():
        # 14 Bengali characters are over 40 bytes but still too short.
        assert password_problems("নগরশান্তিসবসময়আ"[:14]) != []


def test_hash_is_argon2id_with_the_owasp_minimum():
    params = argon2.extract_parameters(hash_password("correct horse battery staple"))
    assert params.type is argon2.Type.ID
    assert params.memory_cost >= 19456 and params.time_cost >= 2 and params.salt_len >= 16


def test_long_passwords_are_not_truncated():
    password = "p" * 99 + "q"
    stored = hash_password(password)
    assert verify_password(stored, password)
    assert not verify_password(stored, password[:99])


def test_equivalent_unicode_forms_verify_the_same():
    composed = "café au lait in the monsoon"
    decomposed = "cafe\u0301 au lait in the monsoon"
    assert verify_password(hash_password(composed), decomposed)


def test_weaker_old_hashes_are_flagged_for_rehash():
    old = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    assert needs_rehash(old.hash("correct horse battery staple"))
