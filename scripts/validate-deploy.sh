#!/usr/bin/env bash
# Offline check of deploy/: renders the Kustomize base and the example, HA and tenants overlays
# with `kubectl kustomize`, validates every object and the Secret templates against the
# Kubernetes schemas bundled in kubernetes-validate (strict: unknown fields fail), checks
# cross-references (Secret keys and Secret volumes against each set's Secret template,
# ConfigMap, PVC, config.toml keys), checks that each overlay sets the image, that the
# Dockerfile, the SQLite Deployments (base, example) and the compose file name the same database
# file, and that the HA and tenants overlays are what they claim (no PVC, the PostgreSQL URL from
# the Secret, two or more replicas, a rolling update that never goes below them, a
# PodDisruptionBudget for their pods, spread across nodes); for the tenants overlay, that its
# config.toml declares valid [[tenants]] with no single-tenant key and no inline secret, that
# every *_file it names is a key of a Secret mounted there, and that the container sets none of
# the variables that stop a bridge with tenants from starting. Parses deploy/docker-compose.yml.
# One line per document; exit status non-zero on any failure.
#
# Needs kubectl (Debian package `kubectl`), python3 (3.11+ for the config.toml check) and, on
# the first run only, the package registry to fill .venv-deploy/. Later runs need no network.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v kubectl >/dev/null || { echo "FAIL kubectl is not installed (apt-get install kubectl)"; exit 1; }

K8S_VERSION="${K8S_VERSION:-1.30}"
VENV=.venv-deploy
REQUIREMENTS=(kubernetes-validate==1.37.0 PyYAML==6.0.3)

if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
# Install only when the pinned set changed, so that later runs work offline.
if [[ "$(cat "$VENV/.requirements" 2>/dev/null || true)" != "${REQUIREMENTS[*]}" ]]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${REQUIREMENTS[@]}"
  echo "${REQUIREMENTS[*]}" > "$VENV/.requirements"
fi
PY="$VENV/bin/python"

RENDERED="$(mktemp -d)"
trap 'rm -rf "$RENDERED"' EXIT

render_failed=0
for target in base overlays/example overlays/ha overlays/tenants; do
  out="$RENDERED/$(echo "$target" | tr / -).yaml"
  if ! kubectl kustomize "deploy/kubernetes/$target" > "$out"; then
    echo "FAIL render deploy/kubernetes/$target"
    render_failed=1
  fi
done

"$PY" - "$K8S_VERSION" "$RENDERED" "$render_failed" <<'PYTHON'
import os
import re
import sys

import kubernetes_validate
import yaml
from kubernetes_validate.utils import (InvalidSchemaError, SchemaNotFoundError,
                                       ValidationError, VersionNotSupportedError)

version, rendered, render_failed = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
passed, failed = 0, 1 if render_failed else 0


def report(ok, what, why=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok {what}")
    else:
        failed += 1
        print(f"FAIL {what}: {why}")


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def validate(doc, where):
    what = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')} ({where})"
    try:
        kubernetes_validate.validate(doc, version, strict=True)
        report(True, what)
    except ValidationError as e:
        path = ".".join(str(p) for p in e.path)
        report(False, what, f"{path}: {e.message}")
    except (SchemaNotFoundError, InvalidSchemaError, VersionNotSupportedError) as e:
        report(False, what, f"no schema: {e}")


# The rendered sets: the SQLite ones (one replica, a PVC) and the PostgreSQL ones (HA; the
# tenants overlay is HA too); and the Secret template (one or more Secrets) each set's
# secretKeyRefs and Secret volumes must find their Secrets and keys in.
SQLITE_SETS = ("base", "overlays-example")
HA_SETS = ("overlays-ha", "overlays-tenants")
TENANT_SETS = ("overlays-tenants",)
SECRET_TEMPLATES = {"base": "deploy/kubernetes/base/secret.example.yaml",
                    "overlays-example": "deploy/kubernetes/base/secret.example.yaml",
                    "overlays-ha": "deploy/kubernetes/overlays/ha/secret.example.yaml",
                    "overlays-tenants": "deploy/kubernetes/overlays/tenants/secret.example.yaml"}

# 1. Schemas: every rendered object, and the Secret templates.
sets = {}
for name in SQLITE_SETS + HA_SETS:
    path = os.path.join(rendered, f"{name}.yaml")
    sets[name] = load(path) if os.path.getsize(path) else []
    for doc in sets[name]:
        validate(doc, name)
secrets = {}
for secret_path in dict.fromkeys(SECRET_TEMPLATES.values()):
    secret_docs = load(secret_path)
    for doc in secret_docs:
        validate(doc, secret_path.removeprefix("deploy/kubernetes/"))
    # Secret name -> Secret, for the templates that hold several.
    secrets[secret_path] = {(d.get("metadata") or {}).get("name"): d for d in secret_docs
                            if d.get("kind") == "Secret"}


def keys_of(secret):
    return set((secret.get("stringData") or {}) | (secret.get("data") or {}))


# 2. Cross-references the schemas cannot see.
for name, docs in sets.items():
    secret_path = SECRET_TEMPLATES[name]
    template = secrets[secret_path]
    objects = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for dep in (d for d in docs if d["kind"] == "Deployment"):
        pod = dep["spec"]["template"]["spec"]
        problems = []
        for c in pod["containers"]:
            for env in c.get("env", []):
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if ref and (ref["name"] not in template
                            or ref["key"] not in keys_of(template[ref["name"]])):
                    problems.append(f"env {env['name']}: {ref['name']}/{ref['key']} "
                                    f"not in {secret_path}")
        for vol in pod.get("volumes", []):
            if "secret" in vol:
                secret_name = vol["secret"].get("secretName")
                if secret_name not in template:
                    problems.append(f"volume {vol['name']}: no Secret {secret_name} in "
                                    f"{secret_path}")
                else:
                    for item in vol["secret"].get("items") or []:
                        if item["key"] not in keys_of(template[secret_name]):
                            problems.append(f"volume {vol['name']}: {secret_name}/{item['key']}"
                                            f" not in {secret_path}")
            if "configMap" in vol and ("ConfigMap", vol["configMap"]["name"]) not in objects:
                problems.append(f"volume {vol['name']}: no ConfigMap {vol['configMap']['name']}")
            pvc = vol.get("persistentVolumeClaim")
            if pvc and ("PersistentVolumeClaim", pvc["claimName"]) not in objects:
                problems.append(f"volume {vol['name']}: no PVC {pvc['claimName']}")
        report(not problems, f"references of Deployment/{dep['metadata']['name']} ({name})",
               "; ".join(problems))

# 2b. The image: the overlay's `images:` entry must name the base's image, or it silently
# changes nothing and the bare name (which no registry serves) is deployed.
def images(docs):
    return {c["image"] for d in docs if d["kind"] == "Deployment"
            for c in d["spec"]["template"]["spec"]["containers"]}
for name in ("overlays-example",) + HA_SETS:
    left = images(sets["base"]) & images(sets[name])
    report(not left, f"image set by {name.replace('-', '/', 1)}",
           f"still {sorted(left)}: its images: entry names no image of the base")

# The HA Secret template is the base's plus the database URL: the same name and keys, so that
# one Secret serves either shape. (Not the tenants overlay's: its tenants' secrets are files of
# a Secret of their own, and its falcon-scim-bridge-credentials needs only the URL.)
base_secret = next(iter(secrets[SECRET_TEMPLATES["base"]].values()), {})
base_name = (base_secret.get("metadata") or {}).get("name")
for name in ("overlays-ha",):
    ha_secret = secrets[SECRET_TEMPLATES[name]].get(base_name)
    missing = keys_of(base_secret) - keys_of(ha_secret or {})
    report(ha_secret is not None and not missing,
           f"{SECRET_TEMPLATES[name]} extends the base's Secret",
           f"no Secret {base_name}" if ha_secret is None else f"lacks {sorted(missing)}")

# 2c. The database file: the same URL in the Dockerfile, every SQLite Deployment and the compose
# file, on a path under the Deployment's PVC mount.
dockerfile_url = re.search(r"BRIDGE_DATABASE_URL=(\S+)", open("Dockerfile", encoding="utf-8").read())
dockerfile_url = dockerfile_url.group(1) if dockerfile_url else None
compose_urls = set(re.findall(r"BRIDGE_DATABASE_URL:\s*(\S+)",
                              open("deploy/docker-compose.yml", encoding="utf-8").read()))
problems = [] if dockerfile_url else ["Dockerfile sets no BRIDGE_DATABASE_URL"]
problems += [f"docker-compose.yml has {u}" for u in sorted(compose_urls - {dockerfile_url})]
for name in SQLITE_SETS:
    for dep in (d for d in sets[name] if d["kind"] == "Deployment"):
        pod = dep["spec"]["template"]["spec"]
        pvcs = {v["name"] for v in pod.get("volumes", []) if "persistentVolumeClaim" in v}
        for c in pod["containers"]:
            url = next((e.get("value") for e in c.get("env", [])
                        if e["name"] == "BRIDGE_DATABASE_URL"), dockerfile_url)
            if url != dockerfile_url:
                problems.append(f"Deployment/{dep['metadata']['name']} ({name}) has {url}")
                continue
            path = (url or "").removeprefix("sqlite://")
            mounts = [m["mountPath"].rstrip("/") + "/" for m in c.get("volumeMounts", [])
                      if m["name"] in pvcs]
            if not any(path.startswith(m) for m in mounts):
                problems.append(f"Deployment/{dep['metadata']['name']} ({name}): {path} is on no "
                                "PersistentVolumeClaim mount")
report(not problems, f"database file {dockerfile_url} (Dockerfile, Deployments, compose)",
       "; ".join(problems))

# 2d. The HA set: several replicas on PostgreSQL. Each property on its own line.
def selects(selector, labels):
    """Whether a LabelSelector (matchLabels, matchExpressions) selects these labels."""
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return False  # empty or missing: treat as a mistake, never as "all pods"
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if ((op == "In" and labels.get(key) not in values)
                or (op == "NotIn" and key in labels and labels[key] in values)
                or (op == "Exists" and key not in labels)
                or (op == "DoesNotExist" and key in labels)):
            return False
    return True


for name in HA_SETS:
    docs = sets[name]
    deps = [d for d in docs if d["kind"] == "Deployment"]
    if not deps:
        report(False, f"HA Deployment ({name})", "no Deployment rendered")
        continue
    for dep in deps:
        what = f"Deployment/{dep['metadata']['name']} ({name})"
        spec = dep["spec"]
        pod = spec["template"]["spec"]
        labels = spec["template"].get("metadata", {}).get("labels") or {}
        replicas = spec.get("replicas", 1)

        # No PVC: the store is PostgreSQL, and a ReadWriteOnce claim pins every pod to one node.
        problems = [f"PersistentVolumeClaim/{d['metadata']['name']}" for d in docs
                    if d["kind"] == "PersistentVolumeClaim"]
        problems += [f"volume {v['name']} is a PVC" for v in pod.get("volumes", [])
                     if "persistentVolumeClaim" in v]
        report(not problems, f"no PersistentVolumeClaim: {what}", "; ".join(problems))

        # BRIDGE_DATABASE_URL from the Secret, on every container: without it the image's
        # SQLite default applies, and a literal would put the password in the manifest.
        problems = []
        for c in pod["containers"]:
            envs = [e for e in c.get("env", []) if e["name"] == "BRIDGE_DATABASE_URL"]
            if not envs:
                problems.append(f"container {c['name']} sets none (the image's SQLite default)")
            for e in envs:
                if "value" in e:
                    problems.append(f"container {c['name']} has the literal {e['value']!r}")
                elif not (e.get("valueFrom") or {}).get("secretKeyRef"):
                    problems.append(f"container {c['name']} takes it from no Secret")
        report(not problems, f"BRIDGE_DATABASE_URL from a secretKeyRef: {what}",
               "; ".join(problems))

        report(isinstance(replicas, int) and replicas >= 2, f"replicas >= 2: {what}",
               f"replicas is {replicas}")

        # RollingUpdate that never goes below the replicas (the default maxUnavailable is 25%).
        strategy = spec.get("strategy") or {}
        max_unavailable = (strategy.get("rollingUpdate") or {}).get("maxUnavailable", "25%")
        report(strategy.get("type", "RollingUpdate") == "RollingUpdate"
               and str(max_unavailable) in ("0", "0%"),
               f"strategy RollingUpdate with maxUnavailable 0: {what}",
               f"type {strategy.get('type')}, maxUnavailable {max_unavailable}")

        # A PodDisruptionBudget for these pods that still lets one of them be evicted.
        pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"
                and selects(d["spec"].get("selector"), labels)]
        problems = [] if pdbs else [f"none selects the pod labels {labels}"]
        for pdb in pdbs:
            min_available = pdb["spec"].get("minAvailable")
            if isinstance(min_available, int) and isinstance(replicas, int) \
                    and min_available >= replicas:
                problems.append(f"PodDisruptionBudget/{pdb['metadata']['name']}: minAvailable "
                                f"{min_available} of {replicas} replicas blocks every eviction")
        report(not problems, f"PodDisruptionBudget for the pods: {what}", "; ".join(problems))

        # Replicas spread across nodes: pod anti-affinity (required or preferred) or a topology
        # spread constraint on kubernetes.io/hostname that selects these pods.
        anti = (pod.get("affinity") or {}).get("podAntiAffinity") or {}
        terms = (anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []) + [
            t.get("podAffinityTerm") or {}
            for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []]
        terms += pod.get("topologySpreadConstraints") or []
        spread = [t for t in terms if t.get("topologyKey") == "kubernetes.io/hostname"
                  and selects(t.get("labelSelector"), labels)]
        report(bool(spread), f"spread across kubernetes.io/hostname: {what}",
               "no pod anti-affinity or topology spread on kubernetes.io/hostname selects "
               f"the pod labels {labels}")

# 3. The example config.toml: the bridge refuses unknown keys at start.
try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None
allowed = {"token_names", "refuse_unmapped_groups", "groups", "credentials"}
for doc in sets["base"]:
    if doc["kind"] == "ConfigMap" and "config.toml" in (doc.get("data") or {}):
        what = f"config.toml in ConfigMap/{doc['metadata']['name']}"
        if tomllib is None:
            print(f"skip {what}: Python 3.11+ needed for tomllib")
            continue
        try:
            cfg = tomllib.loads(doc["data"]["config.toml"])
            unknown = set(cfg) - allowed
            groups_ok = all(isinstance(v, list) and all(isinstance(r, str) for r in v)
                            for v in cfg.get("groups", {}).values())
            report(not unknown and groups_ok, what,
                   f"unknown keys {sorted(unknown)}" if unknown else "groups must map to lists")
        except tomllib.TOMLDecodeError as e:
            report(False, what, str(e))

# 3b. The tenants overlay. With [[tenants]] in BRIDGE_CONFIG the bridge refuses to start while
# any single-tenant setting is set (a variable or a top-level key of the file: it would belong
# to no tenant), and a secret is never inline, only `*_env` or `*_file`. Each property on its
# own line, for the config.toml the container's BRIDGE_CONFIG names.
TENANT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")
TARGET_TABLES = ("falcon", "incydr", "lumapps", "allthenticate")
SINGLE_TENANT_KEYS = ("credentials", "token_names", "groups", "role_aliases", "assignable_roles",
                      "refuse_unmapped_groups", "allthenticate")
SINGLE_TENANT_VARS = ("SCIM_BEARER_TOKENS", "FALCON_CLIENT_ID", "INCYDR_BASE_URL",
                      "LUMAPPS_BASE_URL", "ALLTHENTICATE_BASE_URL")
# A secret's value itself, where only client_secret_env/_file, api_key_env/_file,
# token_env/_file (and a JWT's secret_env/_file) belong.
INLINE_SECRET_KEYS = ("client_secret", "api_key", "token", "secret")


def walk(value, path=""):
    """(dotted path, key, value) of every key of a TOML table, arrays of tables indexed."""
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{k}" if path else k
            yield here, k, v
            yield from walk(v, here)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


def mount_of(container, pod, path):
    """The container's volumeMount that `path` lies under (the deepest), its volume, and the
    path inside that volume (subPath applied)."""
    best = None
    for m in container.get("volumeMounts", []):
        mount_path = m["mountPath"].rstrip("/")
        if (path == mount_path or path.startswith(mount_path + "/")) and (
                best is None or len(mount_path) > len(best["mountPath"].rstrip("/"))):
            best = m
    if best is None:
        return None, None, None
    volume = next((v for v in pod.get("volumes", []) if v["name"] == best["name"]), None)
    inner = path[len(best["mountPath"].rstrip("/")):].lstrip("/")
    inner = "/".join(p for p in (best.get("subPath", ""), inner) if p)
    return best, volume, inner


def key_at(source, inner):
    """The key of a ConfigMap or Secret volume source that shows as the file `inner`."""
    items = source.get("items")
    if items:
        return next((i["key"] for i in items if i["path"] == inner), None)
    return inner if inner and "/" not in inner else None


def tenants_config(docs, pod, container):
    """(config.toml as a dict, None) from the ConfigMap mounted where BRIDGE_CONFIG points, or
    (None, why not)."""
    env = next((e for e in container.get("env", []) if e["name"] == "BRIDGE_CONFIG"), None)
    if env is None or "value" not in env:
        return None, "the container sets no literal BRIDGE_CONFIG"
    mount, volume, inner = mount_of(container, pod, env["value"])
    if volume is None or "configMap" not in volume:
        return None, f"BRIDGE_CONFIG {env['value']} is on no ConfigMap mount"
    key = key_at(volume["configMap"], inner)
    configmap = next((d for d in docs if d["kind"] == "ConfigMap"
                      and d["metadata"]["name"] == volume["configMap"]["name"]), None)
    text = ((configmap or {}).get("data") or {}).get(key)
    if text is None:
        return None, (f"BRIDGE_CONFIG {env['value']}: no key {key} in "
                      f"ConfigMap/{volume['configMap']['name']}")
    if tomllib is None:
        return None, "Python 3.11+ needed for tomllib"
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as e:
        return None, f"config.toml does not parse: {e}"


def config_report(ok, what, why):
    """A check of the tenants' config.toml: skipped without tomllib, as the base's is."""
    if tomllib is None:
        print(f"skip {what}: Python 3.11+ needed for tomllib")
    else:
        report(ok, what, why)


for name in TENANT_SETS:
    docs = sets[name]
    template = secrets[SECRET_TEMPLATES[name]]
    deps = [d for d in docs if d["kind"] == "Deployment"]
    if not deps:
        report(False, f"tenants Deployment ({name})", "no Deployment rendered")
    for dep in deps:
        pod = dep["spec"]["template"]["spec"]
        for c in pod["containers"]:
            what = f"Deployment/{dep['metadata']['name']} container {c['name']} ({name})"
            cfg, why = tenants_config(docs, pod, c)

            # The tenants: each a valid, unique name, one target table, a credential or more.
            problems = [why] if why else []
            tenants = (cfg or {}).get("tenants") if cfg is not None else []
            if cfg is not None and (not isinstance(tenants, list) or not tenants
                                    or not all(isinstance(t, dict) for t in tenants)):
                problems.append("declares no [[tenants]]")
                tenants = []
            seen = set()
            for i, t in enumerate(tenants):
                tenant = t.get("name")
                label = f"tenants[{i}] ({tenant})"
                if not isinstance(tenant, str) or not TENANT_NAME.match(tenant):
                    problems.append(f"{label}: the name is not [a-z0-9-], 1 to 40, no hyphen "
                                    "at either end")
                elif tenant in seen:
                    problems.append(f"{label}: the name is used twice")
                seen.add(tenant)
                targets = [k for k in TARGET_TABLES if k in t]
                if len(targets) != 1:
                    problems.append(f"{label}: {len(targets)} target tables {targets}, not "
                                    "exactly one of [tenants.falcon|incydr|lumapps|allthenticate]")
                credentials = t.get("credentials")
                if not isinstance(credentials, list) or not credentials:
                    problems.append(f"{label}: no [[tenants.credentials]]")
            config_report(not problems, f"[[tenants]] in config.toml: {what}",
                          "; ".join(problems))

            # No single tenant's key beside them (the bridge would refuse to start).
            problems = [why] if why else [
                f"top-level {k}" for k in SINGLE_TENANT_KEYS if k in cfg]
            config_report(not problems, f"no single-tenant key beside [[tenants]]: {what}",
                          "; ".join(problems))

            # No secret inline: the file is a ConfigMap, readable by anyone who reads the
            # namespace's ConfigMaps.
            problems = [why] if why else [
                f"{path} is inline (use {key}_env or {key}_file)"
                for path, key, _ in walk(cfg) if key in INLINE_SECRET_KEYS]
            config_report(not problems, f"no inline secret in config.toml: {what}",
                          "; ".join(problems))

            # Every *_file on a Secret mounted in this container, as a key of that Secret's
            # template; every key of such a Secret named by a *_file (the template lists exactly
            # what config.toml reads); every *_env a variable of the container.
            problems = [why] if why else []
            used = {}  # Secret name -> keys config.toml reads
            env_names = {e["name"] for e in c.get("env", [])}
            for path, key, value in (walk(cfg) if cfg is not None else []):
                if key.endswith("_env") and isinstance(value, str) and value not in env_names:
                    problems.append(f"{path}: the container sets no {value}")
                if not key.endswith("_file") or not isinstance(value, str):
                    continue
                mount, volume, inner = mount_of(c, pod, value)
                if volume is None or "secret" not in volume:
                    problems.append(f"{path} {value} is on no Secret mount")
                    continue
                secret_name = volume["secret"].get("secretName")
                secret_key = key_at(volume["secret"], inner)
                if secret_key is not None:
                    used.setdefault(secret_name, set()).add(secret_key)
                if secret_name not in template:
                    problems.append(f"{path} {value}: no Secret {secret_name} in "
                                    f"{SECRET_TEMPLATES[name]}")
                elif secret_key is None:
                    problems.append(f"{path} {value}: volume {volume['name']} shows no file "
                                    f"{inner!r} (its items, or a subdirectory)")
                elif secret_key not in keys_of(template[secret_name]):
                    problems.append(f"{path} {value}: {secret_name} has no key {secret_key!r} "
                                    f"in {SECRET_TEMPLATES[name]}")
            if not why:
                for secret_name, keys in used.items():
                    unused = keys_of(template.get(secret_name, {})) - keys
                    if unused:
                        problems.append(f"{secret_name} in {SECRET_TEMPLATES[name]} has keys "
                                        f"no *_file names: {sorted(unused)}")
            config_report(not problems, f"secrets of config.toml on a mounted Secret: {what}",
                          "; ".join(problems))

            # None of the variables that stop a bridge with tenants, also not through envFrom.
            problems = [f"env {e['name']}" for e in c.get("env", [])
                        if e["name"] in SINGLE_TENANT_VARS]
            for source in c.get("envFrom", []):
                prefix = source.get("prefix", "")
                if "configMapRef" in source:
                    ref = source["configMapRef"]["name"]
                    found = next((d for d in docs if d["kind"] == "ConfigMap"
                                  and d["metadata"]["name"] == ref), None)
                    keys = set((found or {}).get("data") or {})
                elif "secretRef" in source:
                    ref = source["secretRef"]["name"]
                    found = template.get(ref)
                    keys = keys_of(found or {})
                else:
                    ref, found, keys = "?", None, set()
                if found is None:
                    problems.append(f"envFrom {ref}: cannot tell which variables it sets")
                problems += [f"envFrom {ref}: {prefix}{k}" for k in sorted(keys)
                             if prefix + k in SINGLE_TENANT_VARS]
            report(not problems, f"no single-tenant variable in the container: {what}",
                   "; ".join(problems))

# 4. docker-compose.yml: parses, has services.bridge, builds from a directory with a Dockerfile.
compose_path = "deploy/docker-compose.yml"
try:
    compose = yaml.safe_load(open(compose_path, encoding="utf-8"))
    bridge = ((compose or {}).get("services") or {}).get("bridge")
    if not isinstance(bridge, dict):
        report(False, f"{compose_path} services.bridge", "missing")
    else:
        build = bridge.get("build") or {}
        context = os.path.join("deploy", build.get("context", "."))
        dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
        report(os.path.isfile(dockerfile), f"{compose_path} services.bridge",
               f"build context has no {dockerfile}")
except yaml.YAMLError as e:
    report(False, compose_path, f"not valid YAML: {e}")

print(f"validated against Kubernetes {version} schemas, strict")
print(f"deploy: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PYTHON
