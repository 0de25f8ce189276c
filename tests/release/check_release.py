#!/usr/bin/env python3
"""Checks the release machinery that cannot run here (no Docker, no GitHub) by its files.

  workflows   every `uses:` pinned to a 40-hex commit SHA with a version comment; workflow
              permissions read-only, writes only per job and only where needed (id-token for
              cosign, packages for registry pushes, contents for the GitHub release); checkouts
              do not keep the token; no pull_request_target.
  release     on a tag: image for linux/amd64 and linux/arm64 with SBOM and provenance, one
              index signed keylessly with cosign, chart pushed to oci:// and signed, plugin
              archives for both arches, krew manifest rendered, GitHub release created.
  Dockerfile  runtime stage distroless (cc or static), numeric non-root USER, OCI labels.
  krew        plugins/modelrollout.yaml rendered by scripts/render-krew-manifest.sh is a valid
              krew Plugin whose uris are the archives scripts/package-plugin.sh names, and the
              renderer refuses missing checksums.
  archive     (when a built plugin is given) package-plugin.sh's archive unpacks to a plugin
              that runs with only glibc from the system, and every krew `files` entry matches.
  image docs  docs/install.md says how to build and load the image the chart's values.yaml
              names by default.

Usage: check_release.py REPO_ROOT [PLUGIN_BINARY]
"""
import fnmatch
import glob
import os
import re
import subprocess
import sys
import tarfile
import tempfile

import yaml

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
PLUGIN = sys.argv[2] if len(sys.argv) > 2 else ""
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def check(cond, msg):
    if cond:
        print("ok   " + msg)
    else:
        fail(msg)
    return cond


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


SHA_USES = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
WRITE_ALLOWED = {"packages", "id-token", "contents", "attestations"}


def job_text(job):
    """All run scripts and `with` values of a job, for looking up what it does."""
    parts = []
    for step in job.get("steps") or []:
        parts.append(str(step.get("run", "")))
        parts.append(str(step.get("uses", "")))
        parts.append(yaml.safe_dump(step.get("with") or {}))
    return "\n".join(parts)


def check_workflow(path):
    rel = os.path.relpath(path, ROOT)
    text = read(rel)
    wf = yaml.safe_load(text)
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads the key `on` as true
    check(triggers is not None, f"{rel}: has triggers")
    check("pull_request_target" not in (triggers or {}),
          f"{rel}: no pull_request_target (it runs fork code with a write token)")

    # Pinning: every uses: line in the raw text (steps and reusable workflows alike).
    uses_lines = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", text, re.M)
    check(uses_lines, f"{rel}: uses actions")
    for ref, rest in uses_lines:
        if ref.startswith("./"):
            continue
        if ref.startswith("docker://"):
            check("@sha256:" in ref, f"{rel}: {ref} pinned by digest")
            continue
        check(SHA_USES.match(ref) is not None, f"{rel}: {ref.split('@')[0]} pinned to a commit SHA")
        check(re.search(r"#\s*v\d+(\.\d+)*", rest) is not None,
              f"{rel}: {ref.split('@')[0]} has a version comment")

    perms = wf.get("permissions")
    if not check(perms is not None, f"{rel}: workflow-level permissions set"):
        perms = {}
    if isinstance(perms, str):
        check(perms in ("read-all",) or perms == "{}", f"{rel}: workflow permissions read-only")
    else:
        writes = [k for k, v in (perms or {}).items() if v == "write"]
        check(not writes, f"{rel}: workflow-level permissions grant no write ({writes})")

    for name, job in (wf.get("jobs") or {}).items():
        jp = job.get("permissions")
        if jp is None:
            continue
        check(isinstance(jp, dict), f"{rel}: job {name} permissions are a map")
        body = job_text(job)
        for scope, level in jp.items():
            if level != "write":
                continue
            check(scope in WRITE_ALLOWED, f"{rel}: job {name} may write {scope}")
            if scope == "id-token":
                check(re.search(r"cosign sign|attest", body) is not None,
                      f"{rel}: job {name} has id-token: write because it signs")
            if scope == "packages":
                check(re.search(r"login-action|registry login|helm push|push=true", body) is not None,
                      f"{rel}: job {name} has packages: write because it pushes")
            if scope == "contents":
                check("gh release" in body, f"{rel}: job {name} has contents: write because it releases")
        for step in job.get("steps") or []:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                check((step.get("with") or {}).get("persist-credentials") is False,
                      f"{rel}: job {name} checkout does not persist the token")
        if "cosign sign" in body:
            check(jp.get("id-token") == "write", f"{rel}: job {name} signs, so it has id-token: write")
    return wf


def check_release(wf):
    rel = ".github/workflows/release.yml"
    triggers = wf.get("on", wf.get(True)) or {}
    check("tags" in (triggers.get("push") or {}), f"{rel}: runs on pushed tags")
    jobs = wf.get("jobs") or {}
    build_jobs = [(n, j) for n, j in jobs.items()
                  if any(str(s.get("uses", "")).startswith("docker/build-push-action@")
                         for s in j.get("steps") or [])]
    check(build_jobs, f"{rel}: a job builds the image with docker/build-push-action")
    platforms = set()
    for name, job in build_jobs:
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        for inc in matrix.get("include") or []:
            if "platform" in inc:
                platforms.add(inc["platform"])
        for step in job.get("steps") or []:
            w = step.get("with") or {}
            if not str(step.get("uses", "")).startswith("docker/build-push-action@"):
                continue
            for p in str(w.get("platforms", "")).split(","):
                if p.strip() and "${{" not in p:
                    platforms.add(p.strip())
            check(w.get("sbom") in (True, "true"), f"{rel}: job {name} attaches an SBOM (buildx sbom)")
            check(str(w.get("provenance", "")).startswith(("mode=max", "true")) or w.get("provenance") is True,
                  f"{rel}: job {name} attaches provenance (buildx provenance)")
            check(str(w.get("file", "Dockerfile")).endswith("Dockerfile") and w.get("context") == ".",
                  f"{rel}: job {name} builds the repository's Dockerfile")
    check({"linux/amd64", "linux/arm64"} <= platforms, f"{rel}: platforms include amd64 and arm64 ({sorted(platforms)})")
    text = read(rel)
    check(re.search(r"cosign sign --yes (--recursive )?\"\$IMAGE@\$DIGEST\"", text) is not None,
          f"{rel}: the image is signed by digest with cosign")
    check(re.search(r"cosign sign[^\n]*--key", text) is None, f"{rel}: signing is keyless (no --key)")
    check("imagetools create" in text, f"{rel}: the platform images are merged into one index")
    check(re.search(r"helm push [^\n]*\"oci://", text) is not None, f"{rel}: the chart is pushed as an OCI artifact")
    check(re.search(r"cosign sign --yes \"\$CHARTS/modelrollout@\$DIGEST\"", text) is not None,
          f"{rel}: the chart artifact is signed")
    plugin_jobs = [j for j in jobs.values() if "scripts/package-plugin.sh" in job_text(j)]
    arches = {inc.get("arch") for j in plugin_jobs
              for inc in ((j.get("strategy") or {}).get("matrix") or {}).get("include") or []}
    check({"amd64", "arm64"} <= arches, f"{rel}: plugin archives for amd64 and arm64 ({sorted(a for a in arches if a)})")
    check("scripts/render-krew-manifest.sh" in text, f"{rel}: renders the krew manifest")
    check("gh release create" in text and "dist/*" in text, f"{rel}: attaches archives and manifest to the release")
    # The image the chart pulls by default is the one the workflow publishes.
    values = yaml.safe_load(read("charts/modelrollout/values.yaml"))
    chart = yaml.safe_load(read("charts/modelrollout/Chart.yaml"))
    owner = chart["home"].rstrip("/").split("/")[-2]
    check(values["image"]["repository"] == f"ghcr.io/{owner}/modelrollout-controller"
          and "$REGISTRY/$owner/modelrollout-controller" in text,
          f"{rel}: publishes values.yaml's image.repository ({values['image']['repository']})")
    check(not values["image"].get("tag"), "values.yaml image.tag defaults to the chart's appVersion")


def check_dockerfile():
    text = read("Dockerfile")
    joined = re.sub(r"\\\n", " ", text)
    lines = [l.strip() for l in joined.splitlines() if l.strip() and not l.strip().startswith("#")]
    stages = [i for i, l in enumerate(lines) if l.startswith("FROM ")]
    final = lines[stages[-1]:]
    base = final[0].split()[1]
    check(re.match(r"^(gcr\.io/distroless/(cc|static)-debian\d+|cgr\.dev/chainguard/(static|glibc-dynamic))", base)
          is not None, f"Dockerfile: runtime stage is distroless/static ({base})")
    user = [l.split()[1] for l in final if l.startswith("USER ")]
    check(len(user) == 1 and re.match(r"^\d+(:\d+)?$", user[0]) and int(user[0].split(":")[0]) != 0,
          f"Dockerfile: runtime USER numeric non-root ({user})")
    labels = " ".join(l for l in final if l.startswith("LABEL "))
    for key in ("title", "description", "source", "version", "revision", "created"):
        check(f"org.opencontainers.image.{key}=" in labels, f"Dockerfile: label org.opencontainers.image.{key}")
    check(any(l.startswith("ARG VERSION") for l in final) and "${VERSION}" in labels,
          "Dockerfile: the version label comes from the VERSION build arg")


def render_krew(version, sums):
    with tempfile.TemporaryDirectory() as d:
        for arch, hexsum in sums.items():
            name = f"kubectl-modelrollout_{version}_linux_{arch}.tar.gz"
            with open(os.path.join(d, name + ".sha256"), "w") as f:
                f.write(f"{hexsum}  {name}\n")
        return subprocess.run([os.path.join(ROOT, "scripts/render-krew-manifest.sh"), version, d],
                              capture_output=True, text=True, check=False)


def check_krew():
    sums = {"amd64": "a" * 64, "arm64": "b" * 64}
    out = render_krew("1.2.3", sums)
    if not check(out.returncode == 0, "render-krew-manifest.sh renders: " + out.stderr.strip()):
        return None
    m = yaml.safe_load(out.stdout)
    check(m.get("apiVersion") == "krew.googlecontainertools.github.com/v1alpha2" and m.get("kind") == "Plugin",
          "krew: apiVersion/kind")
    check((m.get("metadata") or {}).get("name") == "modelrollout", "krew: name modelrollout (kubectl modelrollout)")
    spec = m.get("spec") or {}
    check(spec.get("version") == "v1.2.3", "krew: version v<semver>")
    check(str(spec.get("homepage", "")).startswith("https://"), "krew: homepage")
    short = spec.get("shortDescription", "")
    check(0 < len(short) <= 50, f"krew: shortDescription short ({len(short)} chars)")
    check(len(spec.get("description", "")) > len(short), "krew: description")
    seen = set()
    for p in spec.get("platforms") or []:
        labels = ((p.get("selector") or {}).get("matchLabels") or {})
        os_, arch = labels.get("os"), labels.get("arch")
        seen.add((os_, arch))
        check(p.get("uri") == "https://github.com/modelrollout/modelrollout/releases/download/v1.2.3/"
              f"kubectl-modelrollout_1.2.3_{os_}_{arch}.tar.gz", f"krew: {os_}/{arch} uri is the release archive")
        check(p.get("sha256") == sums.get(arch), f"krew: {os_}/{arch} sha256 is the archive's")
        check(p.get("bin") == "kubectl-modelrollout", f"krew: {os_}/{arch} bin")
        check(any(f.get("from") == "kubectl-modelrollout" for f in p.get("files") or []),
              f"krew: {os_}/{arch} installs the binary")
    check({("linux", "amd64"), ("linux", "arm64")} <= seen, f"krew: platforms linux/amd64 and linux/arm64 ({sorted(seen)})")
    bad = render_krew("1.2.3", {"amd64": "a" * 64})
    check(bad.returncode != 0, "render-krew-manifest.sh refuses a missing checksum")
    return m


def check_archive(manifest):
    if not PLUGIN or not os.path.exists(PLUGIN):
        print("skip archive check: no built plugin given")
        return
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([os.path.join(ROOT, "scripts/package-plugin.sh"), PLUGIN, "1.2.3", "linux", "amd64", d],
                             capture_output=True, text=True, check=False)
        if not check(out.returncode == 0, "package-plugin.sh packs the built plugin: " + out.stderr.strip()):
            return
        archive = os.path.join(d, "kubectl-modelrollout_1.2.3_linux_amd64.tar.gz")
        with open(archive + ".sha256") as f:
            line = f.read()
        check(subprocess.run(["sha256sum", "-c", "-"], input=line, cwd=d, capture_output=True,
                             text=True).returncode == 0, "archive .sha256 verifies with sha256sum -c")
        with tarfile.open(archive) as tar:
            names = tar.getnames()
            tar.extractall(os.path.join(d, "x"))
        for p in (manifest or {}).get("spec", {}).get("platforms", []):
            for f in p.get("files") or []:
                pattern = f["from"]
                check(any(fnmatch.fnmatch(n, pattern) for n in names),
                      f"krew files entry {pattern} matches the archive")
        x = os.path.join(d, "x")
        binary = os.path.join(x, "kubectl-modelrollout")
        run = subprocess.run([binary, "--help"], env={"PATH": "/usr/bin:/bin", "HOME": d},
                             capture_output=True, text=True)
        check(run.returncode == 0 and "kubectl modelrollout" in run.stdout, "the unpacked plugin runs (--help)")
        ldd = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
        for line in ldd.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[1] == "=>":
                lib, where = parts[0], parts[2]
                glibc = re.match(r"^(libc|libm|libdl|libpthread|librt|libresolv)\.so", lib)
                check(glibc or where.startswith(os.path.join(x, "lib") + "/"),
                      f"archive: {lib} resolves from {'the system (glibc)' if glibc else where}")


def check_image_docs():
    values = yaml.safe_load(read("charts/modelrollout/values.yaml"))
    chart = yaml.safe_load(read("charts/modelrollout/Chart.yaml"))
    image = f"{values['image']['repository']}:{chart['appVersion']}"
    doc = read("docs/install.md")
    check(f"docker build -t {image} ." in doc, f"docs/install.md builds {image}, the chart's default image")
    for cmd in ("kind load docker-image " + image, "k3d image import " + image, "ctr -n k8s.io images import",
                "minikube image load " + image):
        check(cmd in doc, f"docs/install.md: {cmd}")
    readme = read("README.md")
    check("docs/install.md" in readme and "helm install modelrollout charts/modelrollout" in readme,
          "README.md's helm install points at docs/install.md for the image")


def main():
    workflows = sorted(glob.glob(os.path.join(ROOT, ".github/workflows/*.y*ml")))
    check(workflows, "workflows exist")
    parsed = {os.path.basename(p): check_workflow(p) for p in workflows}
    check("ci.yml" in parsed, "a CI workflow exists")
    if check("release.yml" in parsed, "a release workflow exists"):
        check_release(parsed["release.yml"])
    check_dockerfile()
    manifest = check_krew()
    check_archive(manifest)
    check_image_docs()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
