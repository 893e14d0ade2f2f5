"""Settings for the test suite: the real settings with a throwaway secret.

The database still comes from ``DATABASE_URL`` (SQLite when unset), so the
same suite runs on SQLite and on PostgreSQL.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")

from .settings import *  # noqa: E402,F403
