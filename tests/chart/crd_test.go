// The chart ships the repository's CRD unchanged and renders it first.
package chart

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const crdFile = "modelrollout.io_modelrollouts.yaml"

func TestChartCRDIsIdenticalToRepoCRD(t *testing.T) {
	root := repoRoot(t)
	repo, err := os.ReadFile(filepath.Join(root, "crds", crdFile))
	if err != nil {
		t.Fatalf("repo CRD: %v", err)
	}
	chart, err := os.ReadFile(filepath.Join(root, "charts/modelrollout/crds", crdFile))
	if err != nil {
		t.Fatalf("chart CRD: %v (run charts/sync-crds.sh)", err)
	}
	if !bytes.Equal(repo, chart) {
		t.Errorf("charts/modelrollout/crds/%s differs from crds/%s; run charts/sync-crds.sh", crdFile, crdFile)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "charts/modelrollout/crds"))
	if len(entries) != 1 {
		t.Errorf("chart crds/ must hold exactly the one CRD, has %d files", len(entries))
	}
}

func TestRenderedOutputStartsWithTheCRD(t *testing.T) {
	out, errs, ok := renderRaw(t)
	if !ok {
		t.Fatalf("render: %s", errs)
	}
	docs := parseDocs(t, out)
	if len(docs) == 0 || docs[0]["kind"] != "CustomResourceDefinition" {
		t.Fatalf("first document must be the CRD, got %v", kinds(docs))
	}
	crd := docs[0]
	if get(crd, "metadata", "name") != "modelrollouts.modelrollout.io" || get(crd, "spec", "group") != "modelrollout.io" {
		t.Errorf("CRD identity: %v / %v", get(crd, "metadata", "name"), get(crd, "spec", "group"))
	}
	if !strings.Contains(out, "# Source: modelrollout/crds/"+crdFile) {
		t.Errorf("CRD source comment missing")
	}
}
