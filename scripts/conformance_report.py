"""Merges the scim2-tester and scim-sanity results into one verdict.

usage: python conformance_report.py TESTER.json SANITY.json README.md
A failed check is excused only when README.md lists it as a line "- `TOOL: CHECK` — reason"
(its "Deliberate deviations"). Prints every failure and a count line; exits 1 on any
unexcused failure.
"""
import json
import re
import sys

tester_path, sanity_path, readme_path = sys.argv[1:4]
allowed = set(re.findall(r"^- `([a-z0-9-]+: [^`]+)`", open(readme_path).read(), re.M))

tester = json.load(open(tester_path))
sanity = json.load(open(sanity_path))
failures = [("scim2-tester", f"{f['type']}/{f['check']}" if f.get("type") else f["check"], f["status"], f["reason"])
            for f in tester["failed"]]
failures += [("scim-sanity", r["name"], r["status"], r.get("message", ""))
             for r in sanity["results"] if r["status"] in ("fail", "error")]
passed = sum(v for k, v in tester["counts"].items() if k in ("SUCCESS", "COMPLIANT", "ACCEPTABLE", "SKIPPED"))
passed += sanity["summary"]["passed"]

unexcused = 0
for tool, check, status, reason in failures:
    reason = " ".join(str(reason).split())
    if f"{tool}: {check}" in allowed:
        print(f"deviation (documented): {tool}: {check} [{status}]")
    else:
        print(f"FAILED {tool}: {check} [{status}] {reason}")
        unexcused += 1
print(f"conformance: {passed} passed, {unexcused} failed")
sys.exit(1 if unexcused else 0)
