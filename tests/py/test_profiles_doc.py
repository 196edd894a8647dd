"""docs/profiles.md cannot rot: every ```json block in it is a complete profile that the loader
accepts, the JSON Schema accepts, and that plans on every fixture host tree."""
from __future__ import annotations

import json
import re

import jsonschema
import pytest

from conftest import FIXTURE_HOSTS, SOURCE_DIR, fixture_host_names, run_cli

DOC = (SOURCE_DIR / "docs" / "profiles.md").read_text()
EXAMPLES = re.findall(r"^```json\n(.*?)^```$", DOC, re.M | re.S)
SCHEMA = jsonschema.Draft202012Validator(json.loads((SOURCE_DIR / "profiles" / "profile.schema.json").read_text()))


def test_the_doc_has_examples_for_every_section():
    assert len(EXAMPLES) >= 12
    used = set()
    for text in EXAMPLES:
        used |= set(json.loads(text))
    for key in ("extends", "sysctl", "thp", "nic", "cgroups", "cpu_power", "pstate", "irq", "rps", "xps", "boot",
                "verify", "$schema"):
        assert key in used, key


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_example_is_schema_valid(index):
    profile = json.loads(EXAMPLES[index])
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in SCHEMA.iter_errors(profile)]
    assert errors == []


@pytest.mark.parametrize("host", fixture_host_names())
@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_example_loads_and_plans(index, host, tmp_path):
    path = tmp_path / f"example-{index}.json"
    path.write_text(EXAMPLES[index])
    r = run_cli("plan", "-p", str(path), "--root", str(FIXTURE_HOSTS / host), "--json")
    assert r.rc == 0, (EXAMPLES[index][:200], r)
    assert r.json()["profile_digest"]


def test_the_typo_example_is_what_the_cli_prints(tmp_path):
    path = tmp_path / "typo.json"
    path.write_text(json.dumps({"sysctl": {"net.ipv4.tcp_keepalive_tme": 60}}))
    r = run_cli("plan", "-p", str(path), "--root", str(FIXTURE_HOSTS / "vm"))
    assert r.rc == 2
    shown = re.search(r"^tunectl plan: \./typo\.json: (.*?)\(allowed: \.\.\.\)$", DOC, re.M | re.S)
    assert shown, "the typo example is not in docs/profiles.md"
    expected = " ".join(shown.group(1).split())
    assert expected in " ".join(r.err.split()), (expected, r.err)
