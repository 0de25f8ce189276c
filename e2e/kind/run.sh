#!/usr/bin/env bash
# Real-cluster end-to-end: kind + the Docker image + the Helm chart + a plain Prometheus.
# Needs docker, kind, kubectl and helm on PATH (CI: .github/workflows/kind-e2e.yaml).
# It cannot run on our development machines (no Docker engine) and has not been run there.
#
#   e2e/kind/run.sh            # create cluster, build, install, smoke test, keep the cluster
#   KEEP_CLUSTER=0 e2e/kind/run.sh   # delete the cluster at the end
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cluster="${KIND_CLUSTER:-modelrollout-e2e}"
image="${IMAGE:-modelrollout-controller:e2e}"
ns=modelrollout-system

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "e2e/kind needs $tool on PATH" >&2; exit 2; }
done
cleanup() { [ "${KEEP_CLUSTER:-1}" = 1 ] || kind delete cluster --name "$cluster"; }
trap cleanup EXIT
dump() {
  echo "---- diagnostics"; kubectl get mr,deploy,svc,pods -A -o wide || true
  kubectl -n "$ns" logs deploy/modelrollout --tail=200 || true
  kubectl get events -A --sort-by=.lastTimestamp | tail -50 || true
}
trap 'dump' ERR

step() { echo "==> $*"; }

step "kind cluster $cluster"
kind get clusters | grep -qx "$cluster" || kind create cluster --name "$cluster" --wait 120s

step "build $image (Dockerfile: builds, runs the unit tests, ships the controller)"
docker build -t "$image" "$repo"
kind load docker-image "$image" --name "$cluster"

step "plain Prometheus scraping pods labelled modelrollout.io/rollout"
kubectl apply -f "$here/prometheus.yaml"
kubectl -n monitoring rollout status deploy/prometheus --timeout=180s

step "helm install the chart"
helm upgrade --install modelrollout "$repo/charts/modelrollout" --namespace "$ns" --create-namespace \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=Never \
  --set replicaCount=2 --wait --timeout 180s
kubectl wait --for condition=established crd/modelrollouts.modelrollout.io --timeout=60s
kubectl -n "$ns" get lease modelrollout-controller

step "first apply deploys the stable version directly"
kubectl create namespace ml --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -n ml -f "$here/smoke-rollout.yaml"
examples=("$repo"/examples/*.yaml)
if [ -e "${examples[0]}" ]; then
  step "apply examples/"
  for f in "${examples[@]}"; do kubectl apply -n ml -f "$f" || echo "warning: $f did not apply"; done
fi
kubectl -n ml wait --for=jsonpath='{.status.phase}'=Healthy mr/smoke --timeout=300s
kubectl -n ml rollout status deploy/smoke-stable --timeout=180s
kubectl -n ml get svc smoke smoke-stable

step "a template change starts a canary"
kubectl -n ml patch mr smoke --type merge -p \
  '{"spec":{"template":{"spec":{"containers":[{"name":"server","image":"registry.k8s.io/e2e-test-images/agnhost:2.52","args":["netexec","--http-port=8080"],"env":[{"name":"VERSION","value":"2"}],"ports":[{"name":"http","containerPort":8080}]}]}}}}'
kubectl -n ml wait --for=jsonpath='{.status.phase}'=Progressing mr/smoke --timeout=120s
kubectl -n ml rollout status deploy/smoke-canary --timeout=180s

step "abort rolls back to stable"
kubectl -n ml annotate mr smoke modelrollout.io/abort=true --overwrite
kubectl -n ml wait --for=jsonpath='{.status.phase}'=RolledBack mr/smoke --timeout=120s
kubectl -n ml get mr smoke -o wide
echo "kind e2e passed"
