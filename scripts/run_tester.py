"""Runs scim2-tester against a SCIM base URL and prints one line per failed check as JSON.

usage: python run_tester.py BASE_URL TOKEN OUT.json
Exit status 0 always when the tool ran; the caller decides what counts as a failure.
"""
import collections
import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
import uuid

import scim2_tester.checkers.patch_add
import scim2_tester.checkers.patch_replace
import scim2_tester.filling
from scim2_tester import Status, check_server

# Falcon logins are e-mail addresses and the bridge refuses any other userName (a product rule,
# not a SCIM one), so the random userNames scim2-tester invents are made e-mail shaped.
_generate = scim2_tester.filling.generate_random_value


def _generate_login_aware(context, path, *args, **kwargs):
    if str(path).rsplit(".", 1)[-1].rsplit(":", 1)[-1] == "userName":
        return f"{uuid.uuid4().hex[:12]}@example.com"
    return _generate(context, path, *args, **kwargs)


for module in (scim2_tester.filling, scim2_tester.checkers.patch_add, scim2_tester.checkers.patch_replace):
    module.generate_random_value = _generate_login_aware

base, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
client = SyncSCIMClient(Client(base_url=base, headers={"Authorization": f"Bearer {token}"}))
client.discover()
results = check_server(client)
# SKIPPED is what an honest 501 for an optional feature (POST /.search) earns.
passed = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED}
report = {
    "counts": collections.Counter(r.status.name for r in results),
    "failed": [
        {"check": r.title, "status": r.status.name, "type": r.resource_type, "reason": r.reason}
        for r in results
        if r.status not in passed
    ],
}
with open(out, "w") as f:
    json.dump(report, f, indent=1, default=str)
print(json.dumps(report["counts"]))
