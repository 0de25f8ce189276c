// The chart renders the repository's CRD as a template (templates/crds.yaml, from a byte-for-byte
// copy in files/crds/), so helm upgrade upgrades it; crds.install, crds.keep and
// crds.annotations control it.
package chart

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	yaml "gopkg.in/yaml.v2"
)

const crdFile = "modelrollout.io_modelrollouts.yaml"
const crdName = "modelrollouts.modelrollout.io"

func TestChartCRDIsIdenticalToRepoCRD(t *testing.T) {
	root := repoRoot(t)
	repo, err := os.ReadFile(filepath.Join(root, "crds", crdFile))
	if err != nil {
		t.Fatalf("repo CRD: %v", err)
	}
	chart, err := os.ReadFile(filepath.Join(root, "charts/modelrollout/files/crds", crdFile))
	if err != nil {
		t.Fatalf("chart CRD: %v (run charts/sync-crds.sh)", err)
	}
	if !bytes.Equal(repo, chart) {
		t.Errorf("charts/modelrollout/files/crds/%s differs from crds/%s; run charts/sync-crds.sh", crdFile, crdFile)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "charts/modelrollout/files/crds"))
	if len(entries) != 1 {
		t.Errorf("chart files/crds/ must hold exactly the one CRD, has %d files", len(entries))
	}
	// Helm installs crds/ by itself (and never upgrades it): a copy there would be applied twice.
	if _, err := os.Stat(filepath.Join(root, "charts/modelrollout/crds")); err == nil {
		t.Errorf("charts/modelrollout/crds/ exists; the CRD is rendered by templates/crds.yaml")
	}
}

func repoCRD(t *testing.T) obj {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "crds", crdFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw interface{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	return normalize(raw).(obj)
}

// Issue 16: the CRD sat in crds/, which Helm never upgrades, so new spec fields were pruned by
// the old schema after a chart upgrade. Now it is a release object with the repo CRD's body.
func TestCRDIsATemplateWithTheRepoCRDBody(t *testing.T) {
	out, errs, ok := renderRaw(t, "--release", "mr", "--namespace", "mr-system")
	if !ok {
		t.Fatalf("render: %s", errs)
	}
	if !strings.Contains(out, "# Source: modelrollout/templates/crds.yaml") {
		t.Errorf("the CRD does not come from templates/crds.yaml")
	}
	docs := parseDocs(t, out)
	crd := mustFind(t, docs, "CustomResourceDefinition", crdName)
	want := repoCRD(t)
	for _, k := range []string{"apiVersion", "kind", "spec"} {
		if !reflect.DeepEqual(crd[k], want[k]) {
			t.Errorf("rendered CRD %s differs from crds/%s", k, crdFile)
		}
	}
	if len(crd) != len(want) {
		t.Errorf("rendered CRD has top-level keys %v, the repo CRD %v", keysOf(crd), keysOf(want))
	}
	labels := get(crd, "metadata", "labels").(obj)
	if labels["app.kubernetes.io/managed-by"] != "Helm" || labels["app.kubernetes.io/instance"] != "mr" {
		t.Errorf("CRD labels = %v", labels)
	}
	if get(crd, "metadata", "annotations", "helm.sh/resource-policy") != "keep" {
		t.Errorf("crds.keep defaults to true: annotations = %v", get(crd, "metadata", "annotations"))
	}
	if get(crd, "metadata", "namespace") != nil {
		t.Errorf("the CRD is cluster-scoped")
	}
}

func keysOf(m obj) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestCRDKeepInstallAndAnnotations(t *testing.T) {
	docs := render(t, "--set", "crds.keep=false")
	if a := get(mustFind(t, docs, "CustomResourceDefinition", crdName), "metadata", "annotations"); a != nil {
		t.Errorf("crds.keep=false: annotations = %v, want none", a)
	}
	docs = render(t, "--set", `crds.annotations.argocd\.argoproj\.io/sync-options=Prune=false\,Delete=false`,
		"--set", `crds.annotations.team=ml`)
	a := get(mustFind(t, docs, "CustomResourceDefinition", crdName), "metadata", "annotations").(obj)
	want := obj{"argocd.argoproj.io/sync-options": "Prune=false,Delete=false", "team": "ml",
		"helm.sh/resource-policy": "keep"}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("annotations = %v, want %v", a, want)
	}
	// crds.keep wins over an annotation trying to drop it.
	docs = render(t, "--set", `crds.annotations.helm\.sh/resource-policy=delete`)
	if p := get(mustFind(t, docs, "CustomResourceDefinition", crdName), "metadata", "annotations", "helm.sh/resource-policy"); p != "keep" {
		t.Errorf("resource-policy = %v with crds.keep=true", p)
	}
	docs = render(t, "--set", "crds.install=false")
	if find(docs, "CustomResourceDefinition", "") != nil {
		t.Errorf("crds.install=false still renders the CRD")
	}
	if find(docs, "Deployment", "") == nil {
		t.Errorf("crds.install=false must keep the controller")
	}
}
