"""`druid-ingest datasource ...` as a script sees it, run as processes against the real stack: JSON on stdout,
people's text on stderr, exit 1 with the violations when a definition is refused."""

from __future__ import annotations

import json
from pathlib import Path

from tests.web_events import web_events

from .conftest import Service
from .test_cli import cli


def test_infer_create_check_apply_diff_restore(service: Service, tmp_path: Path, unique_tag: str) -> None:
    name = f"cli_{unique_tag}"
    sample = tmp_path / "events.csv"
    web_events(200, seed=8, id_prefix=f"{unique_tag}-").write_csv(sample)

    inferred = cli(service, "datasource", "infer", str(sample))
    assert inferred.returncode == 0, inferred.stderr
    definition = json.loads(inferred.stdout)  # stdout is the definition alone, for `> schema.json`
    assert definition["time_column"] == "event_time"
    assert "6 columns from 200 rows; time column: event_time" in inferred.stderr
    schema = tmp_path / "schema.json"
    schema.write_text(inferred.stdout)

    created = cli(service, "datasource", "create", name, "--schema", str(schema), "--description", "CLI events")
    assert created.returncode == 0, created.stderr
    assert f"created {name} at version 1 (6 columns" in created.stderr

    definition["columns"].append({"name": "referrer", "type": "string", "required": False, "rules": []})
    schema.write_text(json.dumps(definition))
    checked = cli(service, "datasource", "check", name, str(schema))
    assert checked.returncode == 0, checked.stderr
    assert "ADD_COLUMN" in checked.stderr and "Druid: added dimension referrer (string)" in checked.stderr
    applied = cli(service, "datasource", "apply", name, str(schema))
    assert (applied.returncode, applied.stdout.strip()) == (0, "2"), applied.stderr
    again = cli(service, "datasource", "apply", name, str(schema))
    assert (again.returncode, again.stdout.strip()) == (0, "2") and "no change" in again.stderr

    retyped = {**definition, "columns": [{**c, "type": "string", "rules": []} if c["name"] == "duration_ms" else c
                                         for c in definition["columns"]]}
    schema.write_text(json.dumps(retyped))
    refused = cli(service, "datasource", "check", name, str(schema))
    assert refused.returncode == 1, refused.stderr
    assert "incompatible under BACKWARD" in refused.stderr and "CHANGE_TYPE" in refused.stderr
    refused_apply = cli(service, "datasource", "apply", name, str(schema))
    assert refused_apply.returncode == 1 and "incompatible_schema" in refused_apply.stderr

    diff = cli(service, "datasource", "diff", name, "1", "2")
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout.split()[0] == "ADD_COLUMN" and "referrer" in diff.stdout
    restored = cli(service, "datasource", "restore", name, "1")
    assert (restored.returncode, restored.stdout.strip()) == (0, "3"), restored.stderr
    shown = cli(service, "datasource", "show", name, "--version", "3")
    assert json.loads(shown.stdout)["restored_from"] == 1
    listed = cli(service, "datasource", "list")
    assert any(line.split()[:2] == [name, "3"] for line in listed.stdout.splitlines()), listed.stdout

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**definition, "columns": [{"name": "__time", "type": "timestamp"}]}))
    invalid = cli(service, "datasource", "create", f"bad_{unique_tag}", "--schema", str(bad))
    assert invalid.returncode == 1
    assert "invalid_schema" in invalid.stderr and "columns[0].name" in invalid.stderr


def test_push_pins_a_schema_version(service: Service, tmp_path: Path, unique_tag: str) -> None:
    name = f"clipin_{unique_tag}"
    sample = tmp_path / "events.csv"
    web_events(30, seed=9, id_prefix=f"{unique_tag}-").write_csv(sample)
    schema = tmp_path / "schema.json"
    schema.write_text(cli(service, "datasource", "infer", str(sample)).stdout)
    assert cli(service, "datasource", "create", name, "--schema", str(schema)).returncode == 0
    pushed = cli(service, "push", str(sample), "--datasource", name, "--schema-version", "1", "--wait")
    assert pushed.returncode == 0, pushed.stderr
    assert service.job(pushed.stdout.strip())["schema_version"] == 1
    too_new = cli(service, "push", str(sample), "--datasource", name, "--schema-version", "5", "--force")
    assert too_new.returncode == 2 and "schema_version" in too_new.stderr
