#!/usr/bin/python3
"""Checks the deploy/ files without Docker or Kubernetes.

Parses every YAML file, checks the fields the deployment relies on (replicas,
gRPC probes, non-root user, Secret/ConfigMap references, selectors, hardening
of the systemd unit, the Dockerfile's stages and HEALTHCHECK), extracts each
embedded casebridge config (ConfigMap, compose `configs`, the image default)
and runs `casebridge-server --check-config` on it. Also checks that a broken
config is rejected, so the check can fail. Exit status 1 lists every problem.

usage: check_deploy.py --repo DIR --server PATH
"""
import argparse
import os
import subprocess
import sys
import tempfile

import yaml

problems = []


def problem(msg):
    problems.append(msg)


def load_all(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except Exception as e:  # noqa: BLE001 - report any parse failure
        problem(f"{path}: not valid YAML: {e}")
        return []


def get(obj, *keys):
    for k in keys:
        if isinstance(obj, dict) and k in obj:
            obj = obj[k]
        elif isinstance(obj, list) and isinstance(k, int) and k < len(obj):
            obj = obj[k]
        else:
            return None
    return obj


def check_config(server, text, where, env_extra, expect_ok=True):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "casebridge.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBRIDGE_")}
        # The plugin directory named in a deployment exists only in the
        # image; an empty directory stands in for it here (--check-config
        # checks that plugin directories exist).
        env["CASEBRIDGE_PLUGIN_DIRS"] = tmp
        env.update(env_extra)
        r = subprocess.run([server, "--check-config", path], env=env,
                           capture_output=True, text=True, timeout=60)
        if expect_ok and r.returncode != 0:
            problem(f"{where}: --check-config failed: {r.stdout}{r.stderr}".strip())
        if not expect_ok and r.returncode == 0:
            problem(f"{where}: --check-config accepted a broken config")


def config_env(text):
    """The environment a deployment gives the server (DSN from a Secret)."""
    cfg = yaml.safe_load(text) or {}
    if cfg.get("store") == "postgres":
        return {"CASEBRIDGE_POSTGRES_DSN": "host=db dbname=casebridge"}
    return {}


def check_k8s(repo, server):
    kdir = os.path.join(repo, "deploy", "k8s")
    docs = {}
    for name in sorted(os.listdir(kdir)):
        if not name.endswith(".yaml"):
            continue
        for doc in load_all(os.path.join(kdir, name)):
            for field in ("apiVersion", "kind"):
                if field not in doc:
                    problem(f"k8s/{name}: missing {field}")
            kind = doc.get("kind")
            if kind != "Kustomization" and not get(doc, "metadata", "name"):
                problem(f"k8s/{name}: missing metadata.name")
            docs.setdefault(kind, []).append((name, doc))
    for kind in ("Deployment", "Service", "ConfigMap", "Secret",
                 "PodDisruptionBudget", "Kustomization"):
        if kind not in docs:
            problem(f"k8s: no {kind}")
    if problems:
        return
    _, dep = docs["Deployment"][0]
    _, svc = docs["Service"][0]
    _, cm = docs["ConfigMap"][0]
    _, secret = docs["Secret"][0]
    _, pdb = docs["PodDisruptionBudget"][0]
    _, kust = docs["Kustomization"][0]

    if get(dep, "spec", "replicas") != 3:
        problem("Deployment: spec.replicas must be 3")
    pod_labels = get(dep, "spec", "template", "metadata", "labels") or {}
    selector = get(dep, "spec", "selector", "matchLabels") or {}
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        problem("Deployment: selector does not match the pod labels")
    for what, sel in (("Service", get(svc, "spec", "selector")),
                      ("PodDisruptionBudget", get(pdb, "spec", "selector", "matchLabels"))):
        if not sel or any(pod_labels.get(k) != v for k, v in sel.items()):
            problem(f"{what}: selector does not match the Deployment's pods")
    min_avail = get(pdb, "spec", "minAvailable")
    if not isinstance(min_avail, int) or not 1 <= min_avail < 3:
        problem("PodDisruptionBudget: minAvailable must be 1 or 2 for 3 replicas")
    pod = get(dep, "spec", "template", "spec") or {}
    if get(pod, "securityContext", "runAsNonRoot") is not True:
        problem("Deployment: pod must set securityContext.runAsNonRoot")
    containers = pod.get("containers") or []
    if len(containers) != 1:
        problem("Deployment: expected one container")
        return
    c = containers[0]
    port = get(c, "ports", 0, "containerPort")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        if get(c, probe, "grpc", "port") != port:
            problem(f"Deployment: {probe} must be a grpc probe on port {port}")
    if get(c, "securityContext", "allowPrivilegeEscalation") is not False:
        problem("Deployment: container must set allowPrivilegeEscalation: false")
    secret_keys = set((secret.get("stringData") or {}).keys()) | set((secret.get("data") or {}).keys())
    env_names = set()
    for e in c.get("env") or []:
        env_names.add(e.get("name"))
        ref = get(e, "valueFrom", "secretKeyRef")
        if ref:
            if ref.get("name") != get(secret, "metadata", "name"):
                problem(f"Deployment: env {e.get('name')} names an unknown Secret")
            elif ref.get("key") not in secret_keys:
                problem(f"Deployment: env {e.get('name')} names a missing Secret key")
    for needed in ("CASEBRIDGE_POSTGRES_DSN", "CASEBRIDGE_ENCRYPTION_KEY"):
        if needed not in env_names:
            problem(f"Deployment: env {needed} is not set")
    cm_volumes = [v for v in pod.get("volumes") or [] if "configMap" in v]
    if not cm_volumes or get(cm_volumes[0], "configMap", "name") != get(cm, "metadata", "name"):
        problem("Deployment: the config volume must mount the ConfigMap")
    for r in kust.get("resources") or []:
        if not os.path.exists(os.path.join(kdir, r)):
            problem(f"Kustomization: resource {r} does not exist")

    text = get(cm, "data", "casebridge.yaml")
    if not isinstance(text, str):
        problem("ConfigMap: data.casebridge.yaml missing")
        return
    cfg = yaml.safe_load(text)
    if cfg.get("store") != "postgres":
        problem("ConfigMap: store must be postgres for 3 replicas")
    if "dsn" in (cfg.get("postgres") or {}) or "postgres_dsn" in cfg:
        problem("ConfigMap: the DSN belongs in the Secret, not the config")
    listen = str(cfg.get("listen", ""))
    if not listen.endswith(f":{port}"):
        problem(f"ConfigMap: listen {listen} does not use the container port {port}")
    check_config(server, text, "ConfigMap casebridge.yaml", config_env(text))
    check_config(server, text + "\nno_such_key: 1\n", "ConfigMap (broken copy)",
                 config_env(text), expect_ok=False)


def check_compose(repo, server):
    path = os.path.join(repo, "deploy", "compose.yaml")
    docs = load_all(path)
    if len(docs) != 1:
        problem("compose.yaml: expected one document")
        return
    compose = docs[0]
    services = compose.get("services") or {}
    for name in ("casebridge", "postgres"):
        if name not in services:
            problem(f"compose.yaml: no service {name}")
    app = services.get("casebridge") or {}
    if not get(app, "healthcheck", "test"):
        problem("compose.yaml: casebridge has no healthcheck")
    if "postgres" not in (app.get("depends_on") or {}):
        problem("compose.yaml: casebridge must depend on postgres")
    env = app.get("environment") or {}
    if "CASEBRIDGE_POSTGRES_DSN" not in env:
        problem("compose.yaml: CASEBRIDGE_POSTGRES_DSN not set")
    mounted = [c.get("source") for c in app.get("configs") or []]
    for source in mounted:
        text = get(compose, "configs", source, "content")
        if not isinstance(text, str):
            problem(f"compose.yaml: config {source} has no content")
            continue
        check_config(server, text, f"compose config {source}", config_env(text))
    if not mounted:
        problem("compose.yaml: casebridge mounts no config")


def check_plain_configs(repo, server):
    for name in ("casebridge.yaml", "container.yaml"):
        path = os.path.join(repo, "deploy", name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        load_all(path)
        check_config(server, text, f"deploy/{name}", config_env(text))


def check_dockerfile(repo):
    path = os.path.join(repo, "deploy", "Dockerfile")
    with open(path, encoding="utf-8") as f:
        lines = [l.strip() for l in f if l.strip() and not l.strip().startswith("#")]
    froms = [l for l in lines if l.startswith("FROM ")]
    if len(froms) < 2:
        problem("Dockerfile: expected a multi-stage build")
    elif not all("debian:12" in l for l in froms):
        problem("Dockerfile: stages must be Debian 12")
    final = lines[lines.index(froms[-1]):] if froms else []
    if any("-dev" in l for l in final if l.startswith("RUN")):
        problem("Dockerfile: the final stage installs -dev packages")
    users = [l for l in final if l.startswith("USER ")]
    if not users or users[-1].split()[1].split(":")[0] in ("root", "0"):
        problem("Dockerfile: the final stage must run as a non-root USER")
    if not any(l.startswith("HEALTHCHECK") for l in final):
        problem("Dockerfile: no HEALTHCHECK")
    if not any("/usr/lib/casebridge/plugins" in l for l in final):
        problem("Dockerfile: plugins are not installed in /usr/lib/casebridge/plugins")


def check_systemd(repo):
    path = os.path.join(repo, "deploy", "systemd", "casebridge.service")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if "=" in line and not line.startswith(("#", ";", "[")):
            k, v = line.split("=", 1)
            settings.setdefault(k.strip(), v.strip())
    for section in ("[Unit]", "[Service]", "[Install]"):
        if section not in text:
            problem(f"casebridge.service: no {section}")
    required = {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                "ProtectHome": "yes", "PrivateTmp": "yes"}
    for k, v in required.items():
        if settings.get(k) != v:
            problem(f"casebridge.service: {k}={v} missing")
    if settings.get("DynamicUser") != "yes" and not settings.get("User"):
        problem("casebridge.service: needs DynamicUser=yes or User=")
    if "casebridge-server" not in settings.get("ExecStart", ""):
        problem("casebridge.service: ExecStart does not run casebridge-server")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--server", required=True)
    args = ap.parse_args()
    check_k8s(args.repo, args.server)
    check_compose(args.repo, args.server)
    check_plain_configs(args.repo, args.server)
    check_dockerfile(args.repo)
    check_systemd(args.repo)
    if problems:
        for p in problems:
            print("FAIL:", p)
        return 1
    print("deploy/ checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
