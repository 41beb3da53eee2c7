"""Loaded before any test module: every test, and every process a test starts, uses the tests' own database
(tests/database.py), never the main one a demo may be using. The integration tests create and migrate it.

Access control is off in the processes the pipeline's tests start (INGEST_AUTH_REQUIRED=false): those tests are
about files, rows and Druid. tests/integration/api/test_access*.py start APIs with it on (the product's default)
and check every route's permission, sign-in, CSRF, throttling and the audit log."""

from __future__ import annotations

import os

from tests.database import use_test_database

use_test_database()
os.environ.setdefault("INGEST_AUTH_REQUIRED", "false")
