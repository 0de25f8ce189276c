// The Argo CD Application example (examples/argocd/) installs this chart with the sync options
// that protect the CRD, and the chart rendered with its values puts them on the CRD.
package chart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "gopkg.in/yaml.v2"
)

const argoExample = "examples/argocd/modelrollout-application.yaml"

func TestArgoCDApplicationExampleProtectsTheCRD(t *testing.T) {
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, argoExample))
	if err != nil {
		t.Fatal(err)
	}
	docs := parseDocs(t, string(data))
	if len(docs) != 1 {
		t.Fatalf("%s: want one document, got %d", argoExample, len(docs))
	}
	app := docs[0]
	if app["apiVersion"] != "argoproj.io/v1alpha1" || app["kind"] != "Application" {
		t.Fatalf("not an Argo CD Application: %v %v", app["apiVersion"], app["kind"])
	}
	path := str(get(app, "spec", "source", "path"))
	if _, err := os.Stat(filepath.Join(root, path, "Chart.yaml")); err != nil {
		t.Errorf("spec.source.path %q is not a chart of this repository", path)
	}
	if get(app, "spec", "destination", "namespace") == nil || get(app, "spec", "source", "helm", "releaseName") == nil {
		t.Errorf("destination namespace and helm releaseName must be set: %v", app["spec"])
	}
	opts := map[string]bool{}
	for _, o := range list(get(app, "spec", "syncPolicy", "syncOptions")) {
		opts[str(o)] = true
	}
	if !opts["ServerSideApply=true"] {
		t.Errorf("syncOptions %v lack ServerSideApply=true", opts)
	}
	values := get(app, "spec", "source", "helm", "valuesObject")
	if get(values, "crds", "keep") != true || get(values, "crds", "install") != true {
		t.Errorf("valuesObject must install and keep the CRD: %v", get(values, "crds"))
	}

	// The chart rendered with those values: the CRD carries keep and the Argo CD sync options.
	text, err := yaml.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	f := writeValues(t, string(text))
	rendered := render(t, "--release", str(get(app, "spec", "source", "helm", "releaseName")),
		"--namespace", str(get(app, "spec", "destination", "namespace")), "-f", f)
	crd := mustFind(t, rendered, "CustomResourceDefinition", crdName)
	ann := get(crd, "metadata", "annotations")
	if get(ann, "helm.sh/resource-policy") != "keep" {
		t.Errorf("CRD annotations %v lack helm.sh/resource-policy: keep", ann)
	}
	syncOpts := map[string]bool{}
	for _, o := range strings.Split(str(get(ann, "argocd.argoproj.io/sync-options")), ",") {
		syncOpts[strings.TrimSpace(o)] = true
	}
	for _, want := range []string{"Prune=false", "Delete=false"} {
		if !syncOpts[want] {
			t.Errorf("CRD sync-options %v lack %s", syncOpts, want)
		}
	}
	for _, d := range rendered {
		if d["kind"] != "CustomResourceDefinition" && get(d, "metadata", "annotations", "argocd.argoproj.io/sync-options") != nil {
			t.Errorf("%s %v must not carry the CRD's sync options", d["kind"], get(d, "metadata", "name"))
		}
	}
	doc, _ := os.ReadFile(filepath.Join(root, "docs/install.md"))
	if !strings.Contains(string(doc), argoExample) {
		t.Errorf("docs/install.md does not point to %s", argoExample)
	}
}
