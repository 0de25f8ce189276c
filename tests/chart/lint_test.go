// Real helm on the chart: `helm lint --strict` with the defaults and each ci/*-values.yaml, and
// `helm template` of each ci file (every object named, namespaced objects in the release
// namespace or namespaceOverride). Skipped only when helm cannot be built here.
package chart

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestHelmLintStrict(t *testing.T) {
	requireHelm(t)
	runs := [][]string{{"lint", "--strict", "charts/modelrollout"}}
	for _, f := range ciValuesFiles(t) {
		runs = append(runs, []string{"lint", "--strict", "charts/modelrollout", "-f", f})
	}
	for _, args := range runs {
		out, err := runHelm(t, args...)
		if err != nil || !strings.Contains(out, "1 chart(s) linted, 0 chart(s) failed") {
			t.Errorf("helm %v: %v\n%s", args, err, out)
		}
		if strings.Contains(out, "[WARNING]") || strings.Contains(out, "[ERROR]") {
			t.Errorf("helm %v reports problems:\n%s", args, out)
		}
	}
	// Lint must also catch what the schema refuses.
	if out, err := runHelm(t, "lint", "--strict", "charts/modelrollout", "--set", "extraArgs={--bad flag}"); err == nil {
		t.Errorf("helm lint accepted extraArgs with a space in the flag name:\n%s", out)
	}
}

func TestHelmTemplateEveryCIValuesFile(t *testing.T) {
	requireHelm(t)
	clusterScoped := map[string]bool{"ClusterRole": true, "ClusterRoleBinding": true,
		"CustomResourceDefinition": true, "Namespace": true}
	for _, f := range ciValuesFiles(t) {
		name := filepath.Base(f)
		out, errs, ok := renderWith(t, "helm", "--namespace", "mr-system", "-f", f)
		if !ok {
			t.Errorf("%s: helm template failed: %s", name, errs)
			continue
		}
		docs := parseDocs(t, out)
		if find(docs, "Deployment", "") == nil {
			t.Errorf("%s: no controller Deployment", name)
		}
		seen := map[string]bool{}
		for _, d := range docs {
			kind, n := str(d["kind"]), str(get(d, "metadata", "name"))
			ns := str(get(d, "metadata", "namespace"))
			if str(d["apiVersion"]) == "" || kind == "" || n == "" {
				t.Errorf("%s: document lacks apiVersion/kind/name: %v", name, d)
			}
			if key := kind + "/" + ns + "/" + n; seen[key] {
				t.Errorf("%s: %s rendered twice", name, key)
			} else {
				seen[key] = true
			}
			if clusterScoped[kind] != (ns == "") {
				t.Errorf("%s: %s %s has namespace %q", name, kind, n, ns)
			}
		}
	}
}
