// The offline Go renderer (tools/helm-render) must print exactly what the pinned real helm
// prints: for the chart under every value set the other tests and the ci/ values files use, for
// --set parsing (escaped dots, case-insensitive true/false/null, lists, indexes, errors) on a
// probe chart that prints .Values, and for hooks. Skipped only when helm cannot be built here.
package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func ciValuesFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(repoRoot(t), "charts/modelrollout/ci/*-values.yaml"))
	if len(files) < 4 {
		t.Fatalf("want at least 4 charts/modelrollout/ci/*-values.yaml, found %v", files)
	}
	return files
}

// agree renders with both and fails unless stdout is byte-identical (or both fail).
func agree(t *testing.T, args ...string) {
	t.Helper()
	goOut, goErr, goOK := renderWith(t, "go", args...)
	helmOut, helmErr, helmOK := renderWith(t, "helm", args...)
	switch {
	case goOK != helmOK:
		t.Errorf("%v: helm ok=%v (%s), Go renderer ok=%v (%s)", args, helmOK, helmErr, goOK, goErr)
	case goOut != helmOut:
		t.Errorf("%v: Go renderer and helm disagree\n--- helm:\n%s\n--- go:\n%s", args, helmOut, goOut)
	}
}

func TestGoRendererAgreesWithHelm(t *testing.T) {
	requireHelm(t)
	sets := [][]string{
		nil,
		{"--namespace", "mr-system", "--set", "replicaCount=3,watchNamespace=ml"},
		{"--set", "metrics.serviceMonitor.enabled=true,modelServers.podMonitor.enabled=true,prometheusRule.enabled=true"},
		{"--set", "rbac.istio=false,podLabels.team=ml,resources.limits=null"},
		{"--set", "crds.install=false,rbac.aggregatedRoles.enabled=false"},
		{"--set", `serviceAccount.annotations.eks\.amazonaws\.com/role-arn=arn:aws:iam::123456789012:role/mr`},
		{"--set", "rbac.istio=FALSE,rbac.gatewayAPI=False,resources.limits=NULL,metrics.serviceMonitor.enabled=True"},
		{"--set", "podLabels.x=True"}, // a bool where the schema wants a string: both refuse
		{"--set", "crds.keep=false", "--set-string", "podLabels.v=007,podAnnotations.t=true"},
	}
	for _, f := range ciValuesFiles(t) {
		sets = append(sets, []string{"-f", f}, []string{"--namespace", "other", "-f", f})
	}
	for _, args := range sets {
		agree(t, args...)
	}
}

// writeProbeChart makes a chart that prints its values as JSON and has hooks of every sort.
func writeProbeChart(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: probe\nversion: 0.1.0\n",
		"values.yaml": "keep: {a: 1, b: 2}\n",
		"templates/values.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: values
data:
  json: {{ toJson .Values | quote }}
`,
		"templates/hooks.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: pre
  annotations:
    helm.sh/hook: pre-install, Pre-Upgrade
    helm.sh/hook-weight: "5"
---
apiVersion: v1
kind: Pod
metadata:
  name: test
  annotations:
    helm.sh/hook: test
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: unknown-hook-is-dropped
  annotations:
    helm.sh/hook: sometime
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: plain
  annotations:
    a: b
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: post
  annotations:
    "helm.sh/hook": post-install
`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Issue 16: the README's own `--set serviceAccount.annotations.eks\.amazonaws\.com/role-arn=...`
// made nested maps, True/False/NULL stayed strings, and hooks were printed as manifests.
func TestGoRendererSetParsingAndHooksAgreeWithHelm(t *testing.T) {
	requireHelm(t)
	chart := writeProbeChart(t)
	sets := []string{
		`serviceAccount.annotations.eks\.amazonaws\.com/role-arn=arn:aws:iam::1:role/x`,
		`a=True,b=FALSE,c=Null,d=nULL,e=tRuE,keep.a=NULL`,
		`a=0,b=007,c=-5,d=1e3,e=9223372036854775808,f=,g=1.5`,
		`a[0].b=1,a[2]=x`, `a[1].b=1`, `x[0][1]=2`, `x[1][0].y=z`, `a={x,True,3},b={}`,
		`a\,b=c\=d,k\\x=1`, `a.b=1,a=2`, `a.b.c=`,
		`a=1,a.b=2`, `a`, `a=b,c`, `a[x]=1`, `a={x,y`, // errors: both must refuse
	}
	for _, s := range sets {
		agree(t, "--chart", chart, "--set", s)
		agree(t, "--chart", chart, "--set-string", s)
	}
	agree(t, "--chart", chart, "--set", "a=1", "--set-string", "a=2", "--set", "b=TRUE")
	out, _, ok := renderWith(t, "go", "--chart", chart)
	if !ok {
		t.Fatal("probe chart does not render")
	}
	// The hooks come after the manifests, ordered by kind; the unknown hook is gone.
	docs := parseDocs(t, out)
	var names []string
	for _, d := range docs {
		names = append(names, str(get(d, "metadata", "name")))
	}
	want := "[plain values post test pre]"
	if got := fmt.Sprint(names); got != want {
		t.Errorf("documents %s, want %s", got, want)
	}
}
