"""Loaded before any test module: every test, and every process a test starts, uses the tests' own database
(tests/database.py), never the main one a demo may be using. The integration tests create and migrate it."""

from __future__ import annotations

from tests.database import use_test_database

use_test_database()
