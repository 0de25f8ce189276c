#!/usr/bin/env python3
"""Runs argocd/resource_customizations the way Argo CD's own tests do, under Argo CD's sandbox.

For every <group>/<kind>/ directory:
  - health_test.yaml: health.lua on each inputPath must return exactly healthStatus;
  - actions/action_test.yaml: discovery.lua must return exactly `result` (names and disabled),
    and each action.lua on inputPath must give expectedOutputPath;
  - every testdata file is used, every action directory is discovered and tested.
Scripts run in tests/argocd/argo_sandbox.lua (lua5.1 with only base, table, package and a safe
os, as Argo CD runs scripts from argocd-cm); the sandbox is checked first to reject what
Argo CD rejects. argocd/argocd-cm.yaml must carry the same scripts.

Usage: run_customizations.py REPO_ROOT [LUA]
       run_customizations.py REPO_ROOT --write-configmap   (regenerates argocd/argocd-cm.yaml)
"""
import json
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
LUA = sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else "lua5.1"
SANDBOX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "argo_sandbox.lua")
CUSTOM = os.path.join(ROOT, "argocd", "resource_customizations")
HEALTH_CODES = {"Healthy", "Progressing", "Suspended", "Degraded", "Missing", "Unknown"}
CONTRACT_PHASES = {"Healthy", "Progressing", "Promoting", "Paused", "RolledBack", "Degraded"}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def ok(msg):
    print("ok   " + msg)


def run_lua(cases):
    """cases: [{"script", "name", "obj"}] -> [{"ok", "value"|"error"}]."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cases, f)
        path = f.name
    try:
        out = subprocess.run([LUA, SANDBOX, path], capture_output=True, text=True, check=False)
    finally:
        os.unlink(path)
    if out.returncode != 0:
        raise SystemExit("sandbox runner failed: " + out.stderr)
    return json.loads(out.stdout)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def clean_returned(new, old):
    """Argo CD's cleanReturnedObj: Lua cannot tell {} from [], so an empty array where the
    input had an object becomes that object again."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: clean_returned(v, old[k]) if k in old else v for k, v in new.items()}
    if isinstance(new, list) and isinstance(old, dict) and not new:
        return old
    if isinstance(new, list) and isinstance(old, list):
        return [clean_returned(v, old[i]) if i < len(old) else v for i, v in enumerate(new)]
    return new


def check_sandbox():
    """The sandbox must refuse what Argo CD refuses and allow what it allows."""
    must_fail = {
        "string library": 'return {status = string.upper("x")}',
        "string methods": 'local s = "x"; return {status = s:upper()}',
        "math library": "return {n = math.floor(1.5)}",
        "io library": 'return io.open("/etc/hostname")',
        "os.exit": "os.exit(1)",
        "os.getenv": 'return os.getenv("HOME")',
        "require string": 'return require("string").upper("x")',
        "debug library": "return debug.traceback()",
        "coroutine library": "return coroutine.create(function() end)",
        "loadstring escapes": 'return loadstring("return string.upper(\'x\')")()',
        "endless loop": "while true do end",
    }
    must_pass = {
        "table library": 'return {s = table.concat({"a", "b"}, ",")}',
        "os.time": "return {t = os.time() > 0}",
        "require os": 'return {y = require("os").date("!%Y")}',
        "length and concat": 'return {s = #"abc" .. "x"}',
        "obj global": "return {n = obj.metadata.name}",
        "pairs tostring tonumber": 'local n = 0; for _ in pairs({1, 2}) do n = n + 1 end; '
                                   'return {s = tostring(n) .. tonumber("2")}',
    }
    obj = {"metadata": {"name": "x"}}
    names = list(must_fail) + list(must_pass)
    cases = [{"script": (must_fail.get(n) or must_pass[n]), "name": n, "obj": obj} for n in names]
    for name, result in zip(names, run_lua(cases)):
        if name in must_fail:
            if result["ok"]:
                fail("sandbox allowed " + name + " (Argo CD does not)")
            else:
                ok("sandbox refuses " + name)
        elif not result["ok"]:
            fail("sandbox refused " + name + ": " + result["error"])
        else:
            ok("sandbox allows " + name)


def testdata_used(directory, used):
    data = os.path.join(directory, "testdata")
    if not os.path.isdir(data):
        return
    for f in sorted(os.listdir(data)):
        if "testdata/" + f not in used:
            fail(os.path.relpath(os.path.join(data, f), ROOT) + " is used by no test")


def check_health(kind_dir, label):
    script = read(os.path.join(kind_dir, "health.lua"))
    spec = load_yaml(os.path.join(kind_dir, "health_test.yaml"))
    tests = spec.get("tests") or []
    if not tests:
        fail(label + "/health_test.yaml has no tests")
    cases, used, phases = [], set(), set()
    for t in tests:
        obj = load_yaml(os.path.join(kind_dir, t["inputPath"]))
        used.add(t["inputPath"])
        phases.add(((obj or {}).get("status") or {}).get("phase"))
        cases.append({"script": script, "name": "health.lua", "obj": obj})
    for t, result in zip(tests, run_lua(cases)):
        want = t["healthStatus"]
        name = f"{label} health {t['inputPath']}"
        if want.get("status") not in HEALTH_CODES:
            fail(f"{name}: expectation {want.get('status')!r} is not an Argo CD health status")
        if not result["ok"]:
            fail(f"{name}: script error: {result['error']}")
            continue
        got = result["value"]
        got = {"status": got.get("status"), "message": got.get("message")} if isinstance(got, dict) else got
        if got != {"status": want.get("status"), "message": want.get("message")}:
            fail(f"{name}: got {got}, want {want}")
        else:
            ok(f"{name} -> {got['status']}")
    missing = CONTRACT_PHASES - phases
    if missing:
        fail(f"{label}: no health test for phase(s) {sorted(missing)}")
    testdata_used(kind_dir, used)


def discovery_result(value):
    """Argo CD's reading of discovery.lua's table: name -> disabled (absent = enabled)."""
    if value == []:
        return []
    out = []
    for name, v in value.items():
        disabled = isinstance(v, dict) and v.get("disabled") is True
        out.append({"name": name, "disabled": disabled})
    return sorted(out, key=lambda a: a["name"])


def check_actions(kind_dir, label):
    actions_dir = os.path.join(kind_dir, "actions")
    if not os.path.isdir(actions_dir):
        return
    discovery = read(os.path.join(actions_dir, "discovery.lua"))
    action_names = sorted(d for d in os.listdir(actions_dir)
                          if os.path.isfile(os.path.join(actions_dir, d, "action.lua")))
    spec = load_yaml(os.path.join(actions_dir, "action_test.yaml"))
    used = set()
    dtests = spec.get("discoveryTests") or []
    cases = []
    for t in dtests:
        used.add(t["inputPath"])
        cases.append({"script": discovery, "name": "discovery.lua",
                      "obj": load_yaml(os.path.join(actions_dir, t["inputPath"]))})
    for t, result in zip(dtests, run_lua(cases)):
        name = f"{label} discovery {t['inputPath']}"
        want = sorted(({"name": a["name"], "disabled": bool(a.get("disabled", False))}
                       for a in t["result"]), key=lambda a: a["name"])
        if sorted(a["name"] for a in want) != action_names:
            fail(f"{name}: expected result must list every action directory {action_names}")
        if not result["ok"]:
            fail(f"{name}: script error: {result['error']}")
            continue
        got = discovery_result(result["value"])
        if got != want:
            fail(f"{name}: got {got}, want {want}")
        else:
            ok(f"{name}: enabled {[a['name'] for a in got if not a['disabled']]}")

    atests = spec.get("actionTests") or []
    tested = set()
    cases = []
    for t in atests:
        used.update([t["inputPath"], t["expectedOutputPath"]])
        tested.add(t["action"])
        script_path = os.path.join(actions_dir, t["action"], "action.lua")
        if not os.path.isfile(script_path):
            fail(f"{label}: action test names {t['action']}, which has no action.lua")
            cases.append({"script": "error('no script')", "name": t["action"], "obj": None})
            continue
        cases.append({"script": read(script_path), "name": t["action"] + "/action.lua",
                      "obj": load_yaml(os.path.join(actions_dir, t["inputPath"]))})
    for t, case, result in zip(atests, cases, run_lua(cases)):
        name = f"{label} action {t['action']} on {t['inputPath']}"
        if not result["ok"]:
            fail(f"{name}: script error: {result['error']}")
            continue
        want = load_yaml(os.path.join(actions_dir, t["expectedOutputPath"]))
        got = clean_returned(result["value"], case["obj"])
        if got != want:
            fail(f"{name}: output differs from {t['expectedOutputPath']}:\n"
                 f"  got  {json.dumps(got, sort_keys=True)}\n  want {json.dumps(want, sort_keys=True)}")
        else:
            ok(name)
    for a in action_names:
        if a not in tested:
            fail(f"{label}: action {a} has no actionTests case")
    testdata_used(actions_dir, used)
    return discovery, {a: read(os.path.join(actions_dir, a, "action.lua")) for a in action_names}


def check_configmap(group, kind, kind_dir, actions):
    """argocd/argocd-cm.yaml must carry exactly the files of the layout."""
    cm = load_yaml(os.path.join(ROOT, "argocd", "argocd-cm.yaml"))
    data = (cm or {}).get("data") or {}
    key = f"{group}_{kind}"
    health = data.get("resource.customizations.health." + key)
    if health != read(os.path.join(kind_dir, "health.lua")):
        fail(f"argocd-cm.yaml: resource.customizations.health.{key} differs from health.lua")
    else:
        ok(f"argocd-cm.yaml carries health.lua for {key}")
    if actions is None:
        return
    discovery, scripts = actions
    raw = data.get("resource.customizations.actions." + key)
    if raw is None:
        fail(f"argocd-cm.yaml: no resource.customizations.actions.{key}")
        return
    parsed = yaml.safe_load(raw)
    if parsed.get("discovery.lua") != discovery:
        fail("argocd-cm.yaml: actions discovery.lua differs from actions/discovery.lua")
    defs = {d["name"]: d.get("action.lua") for d in parsed.get("definitions") or []}
    if sorted(defs) != sorted(scripts):
        fail(f"argocd-cm.yaml: action definitions {sorted(defs)} != directories {sorted(scripts)}")
    for name, script in scripts.items():
        if defs.get(name) != script:
            fail(f"argocd-cm.yaml: action {name} differs from actions/{name}/action.lua")
    if not any(f.startswith("argocd-cm.yaml: action") for f in failures):
        ok(f"argocd-cm.yaml carries discovery.lua and {len(scripts)} actions for {key}")


def block(text, indent):
    """A YAML literal block scalar body: every line indented (blank lines stay empty)."""
    return "".join((indent + line if line.strip() else "") + "\n" for line in text.rstrip("\n").split("\n"))


def write_configmap():
    out = ["# Merge into the argocd-cm ConfigMap (namespace argocd):",
           "#   kubectl -n argocd patch configmap argocd-cm --type merge --patch-file argocd/argocd-cm.yaml",
           "# Generated from argocd/resource_customizations/ by",
           "#   tests/argocd/run_customizations.py . --write-configmap",
           "# and checked by ctest -R argocd: edit the files there, not this one (docs/argocd.md).",
           "data:"]
    for group in sorted(os.listdir(CUSTOM)):
        for kind in sorted(os.listdir(os.path.join(CUSTOM, group))):
            kind_dir = os.path.join(CUSTOM, group, kind)
            key = f"{group}_{kind}"
            out.append(f"  resource.customizations.health.{key}: |")
            out.append(block(read(os.path.join(kind_dir, "health.lua")), "    ").rstrip("\n"))
            actions_dir = os.path.join(kind_dir, "actions")
            if not os.path.isdir(actions_dir):
                continue
            out.append(f"  resource.customizations.actions.{key}: |")
            out.append("    discovery.lua: |")
            out.append(block(read(os.path.join(actions_dir, "discovery.lua")), "      ").rstrip("\n"))
            out.append("    definitions:")
            for a in sorted(d for d in os.listdir(actions_dir)
                            if os.path.isfile(os.path.join(actions_dir, d, "action.lua"))):
                out.append(f"      - name: {a}")
                out.append("        action.lua: |")
                out.append(block(read(os.path.join(actions_dir, a, "action.lua")), "          ").rstrip("\n"))
    with open(os.path.join(ROOT, "argocd", "argocd-cm.yaml"), "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def main():
    if "--write-configmap" in sys.argv:
        write_configmap()
        return 0
    check_sandbox()
    kinds = 0
    for group in sorted(os.listdir(CUSTOM)):
        for kind in sorted(os.listdir(os.path.join(CUSTOM, group))):
            kind_dir = os.path.join(CUSTOM, group, kind)
            label = f"{group}/{kind}"
            kinds += 1
            check_health(kind_dir, label)
            actions = check_actions(kind_dir, label)
            check_configmap(group, kind, kind_dir, actions)
    if kinds == 0:
        fail("no resource customizations found")
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
