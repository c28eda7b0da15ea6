"""Runs scim2-tester against a SCIM base URL and prints one line per failed check as JSON.

usage: python run_tester.py BASE_URL TOKEN OUT.json
Exit status 0 always when the tool ran; the caller decides what counts as a failure.
"""
import collections
import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

base, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
client = SyncSCIMClient(Client(base_url=base, headers={"Authorization": f"Bearer {token}"}))
client.discover()
results = check_server(client)
passed = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
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
