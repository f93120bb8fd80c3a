"""The project's settings, made fast for the suite.

PBKDF2's 1,000,000 iterations per password cost ~0.3 s for every test user; the suite
checks permissions, not password strength. Everything else is the real configuration.
"""

from kindnet.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
