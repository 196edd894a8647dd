#!/usr/bin/python3
# tunectl_profile: the Ansible module of the tunectl.tuning collection. Applies, verifies, rolls
# back, audits or persists a tunectl profile through tunectl's Python API on the managed host.
from __future__ import annotations

DOCUMENTATION = r"""
module: tunectl_profile
short_description: Apply, verify, roll back, audit or persist a tunectl kernel tuning profile
description:
  - Drives tunectl (benchmark-driven Linux kernel tuning) through its Python package C(tunectl) on
    the managed host. Every change is one crash-safe tunectl transaction that C(state=rolled_back)
    restores byte for byte.
  - Idempotent. C(state=applied) reports C(changed) only when the plan was not empty; a host that
    already holds every setting writes nothing and records no transaction.
  - Check mode returns the plan (C(plan)) and writes nothing; it also refuses what the apply would
    (C(strict), C(expect_plan), an open transaction). Diff mode returns, per knob, its value before
    and after.
  - A failure carries tunectl's typed error in C(error) (C(code) is the CLI's exit code, C(kind) the
    Python exception, C(message), C(file), C(pointer), C(knob)), as C(tunectl --json) prints it.
version_added: "0.1.0"
author: tunectl
requirements:
  - tunectl and its Python package C(tunectl) on the managed host (scripts/setup.sh or the Debian package)
  - root on the managed host for the live host (C(root=/)); a captured tree may be owned by anyone
options:
  state:
    description:
      - C(applied) plans and applies the profile as one transaction.
      - C(verified) checks the host against the profile and fails on drift; never changes anything.
      - C(rolled_back) restores the exact previous bytes of the last transaction (or of C(rollback_to)
        and every later one); nothing to roll back is not an error and not a change.
      - C(audited) applies the profile and proves it with interleaved before/after benchmarks
        (C(tunectl audit)); a failed audit (a metric regressed or an expectation failed) fails the
        task; the profile is kept only if it passed and C(keep) is true. In check mode it is a dry
        run (plan, benchmarks chosen, estimated time).
      - C(persisted) is C(applied) plus a record in /etc/tunectl and C(tunectl-boot.service) enabled,
        so the profile is applied again at every boot; changed also when the record was missing or
        held another profile.
    type: str
    choices: [applied, verified, rolled_back, audited, persisted]
    default: applied
  profile:
    description:
      - A profile name (looked up in C(profile_path), /etc/tunectl/profiles, the built-ins) or the
        path of a profile file on the managed host. Required unless C(profile_body) is given, or
        C(state=rolled_back).
      - Running as root, a profile file or its directory that anyone but root can change is refused.
    type: str
  profile_body:
    description:
      - A profile body (the JSON format of tunectl profiles, as a mapping) instead of C(profile).
    type: dict
  root:
    description:
      - The host to tune. C(/) is the live host; a directory is a captured host tree
        (scripts/capture-host.sh), for rehearsals. Every read and write stays inside it.
    type: path
    default: /
  state_dir:
    description:
      - Where the transaction journals live. Default /var/lib/tunectl (captured trees get their own
        directory under it). Must be owned by root and not writable by others.
    type: path
  profile_path:
    description:
      - Directories searched for a profile name before /etc/tunectl/profiles and the built-ins.
    type: list
    elements: path
  strict:
    description:
      - Refuse (nothing written) a plan that would skip a setting or warns; with C(state=verified),
        fail also on settings the host cannot take.
    type: bool
    default: false
  expect_plan:
    description:
      - The digest of the plan that was reviewed (C(plan.digest) of a check-mode run). Anything else
        is refused with code 1 and nothing is written.
    type: str
  wait:
    description:
      - When another tunectl holds the state lock. C(false) fails at once (code 5), C(true) waits
        as long as it takes, a number waits at most that many seconds.
    type: raw
    default: false
  recover:
    description:
      - Roll back an interrupted (open) transaction first instead of failing with code 6.
    type: bool
    default: false
  rollback_to:
    description:
      - With C(state=rolled_back), the transaction id to roll back to (it and every later one still
        in effect). Default the last one.
    type: str
  force:
    description:
      - With C(state=rolled_back), restore even when an IRQ or interface is now another device.
    type: bool
    default: false
  benches:
    description:
      - With C(state=audited), the benchmarks to run, comma-separated, or C(auto) (those that can see
        the profile's knobs and its C(verify.bench) expectations).
    type: str
    default: auto
  bench_options:
    description:
      - "With C(state=audited), options per benchmark, for example C({tcp_rr: {duration: 0.5}})."
    type: dict
  rounds:
    description:
      - With C(state=audited), interleaved rounds (runs per side are rounds x reps).
    type: int
    default: 10
  reps:
    description:
      - With C(state=audited), runs per round and side.
    type: int
    default: 1
  warmup:
    description:
      - With C(state=audited), warm-up rounds that are not counted.
    type: int
    default: 1
  keep:
    description:
      - With C(state=audited), keep the profile when the audit passed (C(false) always rolls back).
    type: bool
    default: true
  out:
    description:
      - With C(state=audited), the directory on the managed host for report.json, report.md and
        report.html (C(ansible.builtin.fetch) brings them to the controller).
    type: path
notes:
  - Supports check mode and diff mode.
  - C(tunectl diff A.json B.json) on the controller compares two hosts' audit reports.
seealso:
  - name: tunectl fleet rollouts
    description: docs/fleet.md in the tunectl repository (batches, a canary audit, report comparison).
"""

EXAMPLES = r"""
- name: See what the api-gateway profile would change (writes nothing)
  tunectl.tuning.tunectl_profile:
    profile: api-gateway
  check_mode: true
  register: planned

- name: Apply exactly the plan that was reviewed
  tunectl.tuning.tunectl_profile:
    profile: api-gateway
    expect_plan: "{{ planned.plan.digest }}"
    wait: 30

- name: Fail on drift (cron or CI)
  tunectl.tuning.tunectl_profile:
    profile: api-gateway
    state: verified

- name: Audit on a canary, keep the report
  tunectl.tuning.tunectl_profile:
    profile: api-gateway
    state: audited
    out: /var/tmp/tunectl-audit

- name: Put the host back
  tunectl.tuning.tunectl_profile:
    state: rolled_back

- name: Keep it across reboots
  tunectl.tuning.tunectl_profile:
    profile_body:
      description: site keepalive
      sysctl: {net.ipv4.tcp_keepalive_time: 600}
    state: persisted
"""

RETURN = r"""
plan:
  description:
    - The plan (C(tunectl plan --json)) - changes (knob, current, desired, value, why), already, skipped,
      warnings, digest.
  returned: state is applied, persisted or audited
  type: dict
transaction:
  description: The transaction (C(tunectl apply --json)) - id, state, changes (knob, before, after, value, status).
  returned: state is applied or persisted and not in check mode
  type: dict
transaction_id:
  description: The id of the transaction written; null when nothing changed, in check mode, and for verified.
  returned: always
  type: str
rolled_back:
  description: The ids of the transactions rolled back (in check mode, those that would be), newest first.
  returned: state is rolled_back
  type: list
  elements: str
nothing_to_do:
  description: Why nothing was rolled back (null when something was).
  returned: state is rolled_back
  type: str
verdicts:
  description:
    - Per knob, the verify status (ok, drift, pending, not-settable, missing) for state verified.
    - Per benchmark metric, the audit verdict (improved, regressed, no change, inconclusive) as
      {bench, metric, verdict} for state audited.
  returned: state is verified or audited
  type: raw
verify:
  description: The drift report (C(tunectl verify --json)).
  returned: state is verified
  type: dict
report:
  description: The audit report (schema tunectl.audit/1, C(tunectl audit --json)).
  returned: state is audited
  type: dict
passed:
  description: Whether the audit passed.
  returned: state is audited
  type: bool
reboot_pending:
  description: Whether a setting written waits for a reboot (C(tunectl status)).
  returned: always, except with state audited in check mode
  type: bool
persisted:
  description: What is recorded for boot (C(tunectl status)'s persisted), after the task.
  returned: state is persisted
  type: dict
error:
  description: The typed tunectl error - code (exit code), kind (exception class), message, file, pointer, knob.
  returned: failed with a tunectl error
  type: dict
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import tunectl
    IMPORT_ERROR = None
except ImportError:
    IMPORT_ERROR = traceback.format_exc()

STATES = ["applied", "verified", "rolled_back", "audited", "persisted"]


class TaskFailed(Exception):
    """A result that fails the task without being a tunectl error (drift, a failed audit)."""

    def __init__(self, msg, **result):
        super().__init__(msg)
        self.result = result


def wait_arg(value):
    """`wait`: a bool, or seconds (Ansible hands a YAML number or its text)."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on"):
        return True
    if text in ("false", "no", "off", ""):
        return False
    try:
        return float(text)
    except ValueError:
        raise tunectl.InputError(f"wait must be true, false or seconds, not {value!r}") from None


def optional(**kwargs):
    """The keyword arguments that were set: an older tunectl without them still serves the rest."""
    return {k: v for k, v in kwargs.items() if v not in (None, False)}


def profile_ref(p):
    return p["profile_body"] if p["profile_body"] is not None else p["profile"]


def knob_diff(changes, before_key, after_key):
    """One Ansible diff per knob: its value before and after."""
    out = []
    for c in changes:
        before, after = c.get(before_key), c.get(after_key)
        out.append({"before_header": c["knob"], "after_header": c["knob"],
                    "before": "" if before is None else str(before).rstrip("\n") + "\n",
                    "after": "" if after is None else str(after).rstrip("\n") + "\n"})
    return out


def reboot_pending(p):
    return bool(tunectl.status(p["root"], p["state_dir"]).reboot_pending)


def run_apply(module, p, persist):
    ref, check = profile_ref(p), module.check_mode
    plan = tunectl.plan(ref, root=p["root"], profile_path=p["profile_path"])
    result = {"plan": plan.to_dict(), "transaction_id": None}
    before_record = tunectl.status(p["root"], p["state_dir"]).get("persisted") if persist else None
    # The record is up to date when it holds this profile's body and the unit is enabled.
    record_current = bool(before_record and before_record.get("persisted") and before_record.get("enabled")
                          and before_record.get("digest") == plan.get("profile_digest"))
    kwargs = dict(root=p["root"], state_dir=p["state_dir"], profile_path=p["profile_path"],
                  **optional(wait=wait_arg(p["wait"]), strict=p["strict"], expect_plan=p["expect_plan"]))
    if check:
        # A dry run refuses what the apply would (strict, expect_plan, an open transaction).
        tunectl.apply(ref, dry_run=True, **kwargs)
        changes = plan.to_dict()["changes"]
    else:
        tx = tunectl.apply(ref, recover=p["recover"], **optional(persist=persist), **kwargs)
        changes = [c for c in tx.to_dict().get("changes", []) if tx.state == "applied"]
        result.update(transaction=tx.to_dict(), transaction_id=tx.id)
    result["changed"] = bool(changes) or (persist and not record_current)
    if module._diff:
        result["diff"] = knob_diff(changes, "current", "desired")
    result["reboot_pending"] = reboot_pending(p)
    if persist:
        after = tunectl.status(p["root"], p["state_dir"]).get("persisted")
        result["persisted"] = after.to_dict() if after is not None else None
    return result


def run_verify(module, p):
    report = tunectl.verify(profile_ref(p), root=p["root"], profile_path=p["profile_path"], strict=p["strict"])
    d = report.to_dict()
    result = {"changed": False, "verify": d, "transaction_id": None, "reboot_pending": reboot_pending(p),
              "verdicts": {i["knob"]: i["status"] for i in d.get("items", [])}}
    if not report.ok:
        drift = sorted(k for k, s in result["verdicts"].items() if s != "ok")
        raise TaskFailed(f"host does not match the profile: {', '.join(drift) or d.get('summary')}", **result)
    return result


def run_rollback(module, p):
    if module.check_mode:
        st = tunectl.status(p["root"], p["state_dir"]).to_dict()
        ids = [t["id"] for t in st.get("open", [])] + [t["id"] for t in reversed(st.get("stack", []))]
        if p["rollback_to"] is None:
            ids = ids[:1]
        elif p["rollback_to"] in ids:
            ids = ids[:ids.index(p["rollback_to"]) + 1]
        else:
            raise tunectl.TransactionError(f"no transaction {p['rollback_to']} is in effect")
        return {"changed": bool(ids), "rolled_back": ids, "nothing_to_do": None if ids else "nothing in effect",
                "transaction_id": ids[0] if ids else None, "reboot_pending": bool(st.get("reboot_pending"))}
    done = tunectl.rollback(p["rollback_to"], root=p["root"], state_dir=p["state_dir"], force=p["force"],
                            **optional(wait=wait_arg(p["wait"])))
    txs = [tx.to_dict() for tx in done]
    result = {"changed": bool(txs), "rolled_back": [t["id"] for t in txs], "transactions": txs,
              "nothing_to_do": getattr(done, "nothing_to_do", None),
              "transaction_id": txs[0]["id"] if txs else None, "reboot_pending": reboot_pending(p)}
    if module._diff:
        result["diff"] = [d for t in txs for d in knob_diff(t.get("changes", []), "found", "restored")]
    return result


def metric_verdicts(report):
    out = []
    for b in report.get("benchmarks") or []:
        for m in ((b.get("comparison") or {}).get("metrics") or []):
            out.append({"bench": b.get("bench"), "metric": m.get("metric"), "verdict": m.get("verdict")})
    return out


def run_audit(module, p):
    report = tunectl.audit(profile_ref(p), root=p["root"], state_dir=p["state_dir"], benches=p["benches"],
                           bench_options=p["bench_options"], rounds=p["rounds"], reps=p["reps"], warmup=p["warmup"],
                           keep=p["keep"], dry_run=module.check_mode, out=None if module.check_mode else p["out"],
                           profile_path=p["profile_path"])
    d = report.to_dict()
    tx, plan = d.get("transaction") or {}, d.get("plan") or {}
    # Kept is the only end that leaves the host changed; a dry run would change it when the plan is not empty.
    changed = d.get("end_state") == "kept" or (module.check_mode and bool(plan.get("changes")))
    result = {"report": d, "plan": plan, "passed": report.passed, "verdicts": metric_verdicts(d),
              "transaction_id": tx.get("id"), "exit_code": report.exit_code, "end_state": d.get("end_state"),
              "changed": changed}
    if not module.check_mode:
        result["reboot_pending"] = reboot_pending(p)
        if report.exit_code != 0:
            raise TaskFailed(f"audit failed: {d['outcome'].get('summary')}", **result)
    return result


def typed_error(e):
    """The CLI's --json error object for a tunectl.Error."""
    return {"code": getattr(e, "exit_code", None), "kind": type(e).__name__, "message": str(e),
            "file": getattr(e, "file", None), "pointer": getattr(e, "pointer", None), "knob": getattr(e, "knob", None)}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="applied", choices=STATES),
            profile=dict(type="str"),
            profile_body=dict(type="dict"),
            root=dict(type="path", default="/"),
            state_dir=dict(type="path"),
            profile_path=dict(type="list", elements="path"),
            strict=dict(type="bool", default=False),
            expect_plan=dict(type="str"),
            wait=dict(type="raw", default=False),
            recover=dict(type="bool", default=False),
            rollback_to=dict(type="str"),
            force=dict(type="bool", default=False),
            benches=dict(type="str", default="auto"),
            bench_options=dict(type="dict"),
            rounds=dict(type="int", default=10),
            reps=dict(type="int", default=1),
            warmup=dict(type="int", default=1),
            keep=dict(type="bool", default=True),
            out=dict(type="path"),
        ),
        mutually_exclusive=[("profile", "profile_body")],
        required_if=[("state", s, ("profile", "profile_body"), True) for s in STATES if s != "rolled_back"],
        supports_check_mode=True,
    )
    if IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("tunectl (scripts/setup.sh or the tunectl Debian package)"),
                         exception=IMPORT_ERROR)
    p = module.params
    run = {"applied": lambda: run_apply(module, p, False), "persisted": lambda: run_apply(module, p, True),
           "verified": lambda: run_verify(module, p), "rolled_back": lambda: run_rollback(module, p),
           "audited": lambda: run_audit(module, p)}[p["state"]]
    try:
        result = run()
    except TaskFailed as f:
        module.fail_json(msg=str(f), **f.result)
    except tunectl.Error as e:
        extra = {}
        for name in ("transaction", "report"):  # ApplyError: what was written, then restored
            record = getattr(e, name, None)
            if record is not None:
                extra[name] = record.to_dict()
        module.fail_json(msg=str(e), error=typed_error(e), **extra)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
