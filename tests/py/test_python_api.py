"""The Python API as a product: every profile form, str or Path roots, records with to_dict() in
the CLI's shapes, list_profiles() == `profiles list --json`, cpulist helpers, help(tunectl)."""
from __future__ import annotations

import json
import pydoc
import types
from pathlib import Path

import pytest
import tunectl

from conftest import FIXTURE_HOSTS, run_cli

SITE = {"description": "site", "extends": ["latency"], "sysctl": {"net.ipv4.tcp_keepalive_time": 300}}


def test_every_profile_form_plans_the_same(tmp_path):
    root = FIXTURE_HOSTS / "vm"
    path = tmp_path / "site.json"
    path.write_text(json.dumps(SITE))
    by_str = tunectl.plan(str(path), root=str(root))
    loaded = tunectl.load_profile(path)
    from_dict = tunectl.load_profile(SITE)
    assert from_dict.name == "<dict>" and from_dict.digest == loaded.digest
    forms = [path, loaded, SITE, from_dict]
    for form in forms:
        p = tunectl.plan(form, root=root)
        assert p.digest == by_str.digest and p.profile_digest == by_str.profile_digest, type(form)
        assert tunectl.verify(form, root=root).profile_digest == by_str.profile_digest
        assert tunectl.show_profile(form, root=root).digest == loaded.digest
    with pytest.raises(tunectl.InputError, match="profile must be a name, a path, a tunectl.Profile or a dict"):
        tunectl.plan(42, root=root)
    with pytest.raises(tunectl.ProfileError) as e:
        tunectl.plan({"sysctl": {"net.ipv4.tcp_fin_timeout": -5}}, root=root)
    assert e.value.file == "<dict>" and e.value.pointer == "/sysctl/net.ipv4.tcp_fin_timeout"


def test_apply_and_rollback_take_a_dict_profile_and_path_arguments(fixture_copy, tmp_path):
    root, state = fixture_copy("vm"), tmp_path / "state"
    tx = tunectl.apply(SITE, root=root, state_dir=state)
    assert tx.state == "applied" and tx.profile == "<dict>"
    assert isinstance(tx.to_dict(), dict) and json.loads(json.dumps(tx.to_dict()))["id"] == tx.id
    hist = tunectl.history(root=root, state_dir=state)
    assert [h.id for h in hist] == [tx.id] and hist.corrupt == []
    assert hist[0].knobs == len(tx.changes) and hist[0].written == len(tx.changes)
    cli = run_cli("history", "--root", str(root), "--state-dir", str(state), "--json").json()
    assert hist.to_dict() == cli  # one shape for both
    done = tunectl.rollback(root=root, state_dir=state)
    assert [t.id for t in done] == [tx.id] and done.nothing_to_do is None
    assert done.to_dict()["rolled_back"][0]["state"] == "rolled-back"
    again = tunectl.rollback(root=root, state_dir=state)
    assert list(again) == [] and "already rolled back" in again.nothing_to_do
    assert tunectl.status(root=root, state_dir=state).ok


def test_list_profiles_is_profiles_list_json(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "web.json").write_text('{"extends": ["balanced"]}')
    (site / "broken.json").write_text('{"sysctl": ')
    root = FIXTURE_HOSTS / "vm"
    listed = tunectl.list_profiles(root=root, profile_path=site)
    cli = run_cli("profiles", "list", "--root", str(root), "--profile-path", str(site), "--json").json()
    assert [p.to_dict() for p in listed] == cli
    by_name = {p.name: p for p in listed}
    assert by_name["web"].dir == str(site) and by_name["broken"].error and "latency" in by_name


def test_cpulist_helpers_match_the_kernel_formats():
    assert tunectl.parse_cpulist("0-3,8,10-11") == [0, 1, 2, 3, 8, 10, 11]
    assert tunectl.parse_cpulist("") == []
    assert tunectl.format_cpulist([11, 8, 0, 1, 2, 3, 10, 3]) == "0-3,8,10-11"
    assert tunectl.parse_cpumask("00000000,0000010f") == [0, 1, 2, 3, 8]
    assert tunectl.format_cpumask([0, 1, 2, 3, 8], 64) == "00000000,0000010f"
    for bad in ("0-", "3-1", "x"):
        with pytest.raises(tunectl.InputError):
            tunectl.parse_cpulist(bad)
    with pytest.raises(tunectl.InputError, match="out of range"):
        tunectl.format_cpulist([-1])
    online = (FIXTURE_HOSTS / "metal-2s-mlx5-k8s/sys/devices/system/cpu/online").read_text().strip()
    snap = tunectl.probe(root=FIXTURE_HOSTS / "metal-2s-mlx5-k8s", only=["topology"])
    assert tunectl.format_cpulist(tunectl.parse_cpulist(online)) == snap.topology.online


def test_help_of_the_package_alone_explains_the_api():
    text = pydoc.render_doc(tunectl, renderer=pydoc.plaintext)
    for name in ("probe", "plan", "apply", "verify", "rollback", "history", "status", "list_profiles",
                 "parse_cpulist", "LockHeld", "OpenTransaction", "PlanRefused", "exit_code", "ProfileRef"):
        assert name in text, name
    for name in tunectl.__all__:
        obj = getattr(tunectl, name)
        if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
            assert obj.__doc__ and obj.__doc__.strip(), f"tunectl.{name} has no docstring"


def test_roots_and_state_dirs_accept_paths(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    assert tunectl.probe(root=Path(root), only=["thp"]).thp is not None
    assert tunectl.status(root=Path(root), state_dir=tmp_path / "s").ok
    assert tunectl.apply("latency", root=Path(root), state_dir=tmp_path / "s", dry_run=True).state == "dry-run"
