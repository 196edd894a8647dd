"""profiles/profile.schema.json: a valid draft 2020-12 schema that accepts every built-in profile,
knows exactly the sysctls the allowlist knows, and refuses what the loader refuses structurally
(unknown sections and keys, wrong types), so editors flag what tunectl would reject."""
from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import FIXTURE_HOSTS, SOURCE_DIR, run_cli

PROFILES = SOURCE_DIR / "profiles"
SCHEMA = json.loads((PROFILES / "profile.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
BUILT_INS = sorted(p for p in PROFILES.glob("*.json") if p.name != "profile.schema.json")


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_there_are_built_in_profiles():
    assert [p.stem for p in BUILT_INS] == ["api-gateway", "balanced", "container-host", "latency", "throughput"]


@pytest.mark.parametrize("path", BUILT_INS, ids=lambda p: p.stem)
def test_every_built_in_profile_validates(path):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(json.loads(path.read_text()))]
    assert errors == []


def test_schema_sysctl_names_are_the_allowlist():
    knobs = run_cli("knobs", "--json")
    assert knobs.rc == 0, knobs
    allowed = [s["name"] for s in knobs.json()["sysctls"]]
    names = SCHEMA["$defs"]["sysctl_section"]["propertyNames"]["enum"]
    assert sorted(names) == sorted(allowed + ["source", "when"])


def test_schema_sections_are_the_loaders_sections(tmp_path):
    # The loader's "unknown key" message lists every top-level key it knows.
    path = tmp_path / "bogus.json"
    path.write_text('{"bogus": 1}')
    r = run_cli("plan", "-p", str(path), "--root", str(FIXTURE_HOSTS / "vm"))
    assert r.rc == 2 and "(known: " in r.err, r
    known = r.err.split("(known: ", 1)[1].split(")", 1)[0].split(", ")
    assert sorted(SCHEMA["properties"]) == sorted(known + ["$schema"])


# (id, profile): each refused by the C++ loader (exit 2) and by the schema.
REFUSED = [
    ("unknown-section", {"sysctls": {}}),
    ("unknown-sysctl", {"sysctl": {"kernel.core_pattern": "|/bin/sh"}}),
    ("section-why", {"sysctl": {"why": "x", "net.core.somaxconn": 4096}}),
    ("bool-value", {"sysctl": {"net.core.somaxconn": True}}),
    ("float-value", {"sysctl": {"net.core.somaxconn": 1.5}}),
    ("object-value", {"sysctl": {"net.core.somaxconn": {"value": {"a": 1}}}}),
    ("missing-value", {"sysctl": {"net.core.somaxconn": {"why": "x"}}}),
    ("unknown-setting-key", {"sysctl": {"net.core.somaxconn": {"value": 1, "reason": "x"}}}),
    ("extends-not-a-list", {"extends": "balanced"}),
    ("extends-bad-name", {"extends": ["../etc/passwd"]}),
    ("description-not-text", {"description": 5}),
    ("when-unknown-fact", {"sysctl": {"net.core.somaxconn": {"value": 1, "when": {"arch": "x86"}}}}),
    ("when-empty", {"sysctl": {"net.core.somaxconn": {"value": 1, "when": {}}}}),
    ("when-bad-op", {"sysctl": {"net.core.somaxconn": {"value": 1, "when": {"cpus": {"=>": 1}}}}}),
    ("when-bad-version", {"sysctl": {"net.core.somaxconn": {"value": 1, "when": {"kernel": ">= 5.10"}}}}),
    ("thp-unknown-file", {"thp": {"../../x": "always"}}),
    ("cgroup-relative-path", {"cgroups": {"work.slice": {"cpu.max": "max"}}}),
    ("cgroup-unknown-file", {"cgroups": {"/x": {"tasks": "1"}}}),
    ("cgroup-create-not-bool", {"cgroups": {"/x": {"create": "yes"}}}),
    ("cpu-power-unknown-field", {"cpu_power": {"all": {"turbo": 1}}}),
    ("pstate-unknown", {"pstate": {"hwp_dynamic_boost": 1}}),
    ("boot-unknown-parameter", {"boot": {"init": "/bin/sh"}}),
    ("nic-unknown-group", {"nic": {"eth0": {"features.gro": 1}}}),
    ("irq-no-policy", {"irq": {"cpus": "all"}}),
    ("irq-unknown-policy", {"irq": {"policy": "balanced"}}),
    ("irq-spread-one-per-core", {"irq": {"policy": "spread", "one_per_core": True}}),
    ("irq-pin-without-map", {"irq": {"policy": "pin"}}),
    ("rps-unknown-key", {"rps": {"flows": 1}}),
    ("xps-flow-entries", {"xps": {"flow_entries": 4096}}),
    ("verify-unknown-key", {"verify": {"bogus": 1}}),
    ("verify-bad-expect", {"verify": {"bench": [{"bench": "tcp_rr", "expect": "faster"}]}}),
    ("verify-improved-without-metric", {"verify": {"bench": [{"bench": "tcp_rr", "expect": "improved"}]}}),
]


@pytest.mark.parametrize("case,profile", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_by_the_loader_and_the_schema(case, profile, tmp_path):
    path = tmp_path / f"{case}.json"
    path.write_text(json.dumps(profile))
    r = run_cli("plan", "-p", str(path), "--root", str(FIXTURE_HOSTS / "vm"))
    assert r.rc == 2 and str(path) in r.err, r
    assert not VALIDATOR.is_valid(profile), f"the schema accepts {profile}"


def test_schema_and_loader_accept_dollar_schema(tmp_path):
    profile = {"$schema": "profile.schema.json", "sysctl": {"net.core.somaxconn": 4096}}
    path = tmp_path / "with-schema.json"
    path.write_text(json.dumps(profile))
    assert VALIDATOR.is_valid(profile)
    r = run_cli("plan", "-p", str(path), "--root", str(FIXTURE_HOSTS / "vm"), "--json")
    assert r.rc == 0, r


def test_the_schema_file_is_not_a_profile():
    r = run_cli("profiles", "list", "--json", "--root", str(FIXTURE_HOSTS / "vm"))
    assert r.rc == 0, r
    listed = json.dumps(r.json())
    assert "profile.schema" not in listed and "balanced" in listed
