// Unit tests pinning the Helm behaviours the renderer imitates. Expected strings are what
// Helm 3 produces for the same input (sigs.k8s.io/yaml, strvals, chartutil.CoalesceValues).
package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestToYAMLLikeHelm(t *testing.T) {
	v, err := yamlToJSONValue([]byte("b: [x, {z: 1, y: 2}]\na: 1000000\nc: 1.5\nd: ''\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Keys sorted, lists not indented under their key, float64 numbers through JSON, and YAML
	// 1.1's `y` read as the boolean true: all as sigs.k8s.io/yaml does inside Helm.
	want := "a: 1000000\nb:\n- x\n- \"true\": 2\n  z: 1\nc: 1.5\nd: \"\""
	if got := toYAML(v); got != want {
		t.Errorf("toYaml:\n%s\nwant:\n%s", got, want)
	}
}

func TestSetTypingLikeStrvals(t *testing.T) {
	vals := map[string]interface{}{}
	if err := applySet(vals, `a.b=12,c=true,d=0123,e=null,f={x,2},g[1]=y,h=a\,b`, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]interface{}{
		"a": map[string]interface{}{"b": int64(12)}, "c": true, "d": "0123", "e": nil,
		"f": []interface{}{"x", int64(2)}, "g": []interface{}{nil, "y"}, "h": "a,b",
	}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("got %#v\nwant %#v", vals, want)
	}
	if err := applySet(vals, "novalue", false); err == nil {
		t.Errorf("a --set without '=' must fail")
	}
}

func TestCoalesceNullDeletesDefault(t *testing.T) {
	defaults := map[string]interface{}{"r": map[string]interface{}{"limits": map[string]interface{}{"memory": "1"},
		"requests": map[string]interface{}{"cpu": "1", "memory": "2"}}, "keep": "k"}
	user := map[string]interface{}{"r": map[string]interface{}{"limits": nil,
		"requests": map[string]interface{}{"cpu": "9"}}}
	got := coalesce(user, defaults)
	want := map[string]interface{}{"keep": "k", "r": map[string]interface{}{
		"requests": map[string]interface{}{"cpu": "9", "memory": "2"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestEngineHelmFunctions(t *testing.T) {
	files := map[string]string{
		"c/templates/_h.tpl": `{{- define "c.name" -}}{{ .Values.name | default "dflt" }}{{- end -}}`,
		"c/templates/a.yaml": `name: {{ include "c.name" . }}
missing: {{ .Values.nothing }}
big: {{ .Values.big }}
tpl: {{ tpl .Values.t . }}
list:
  {{- toYaml .Values.l | nindent 2 }}`,
		"c/templates/r.yaml": `{{ required "need x" .Values.x }}`,
	}
	e, err := newEngine(files, "c/templates")
	if err != nil {
		t.Fatal(err)
	}
	top := map[string]interface{}{"Values": map[string]interface{}{"t": "{{ .Values.name }}-x",
		"name": "n", "l": []interface{}{"a", "b"}, "big": 1e6}}
	got, err := e.render("c/templates/a.yaml", top)
	if err != nil {
		t.Fatal(err)
	}
	want := "name: n\nmissing: \nbig: 1e+06\ntpl: n-x\nlist:\n  - a\n  - b"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if _, err := e.render("c/templates/r.yaml", top); err == nil || !strings.Contains(err.Error(), "need x") {
		t.Errorf("required: err = %v", err)
	}
}

func TestSchemaSubset(t *testing.T) {
	schema := map[string]interface{}{"type": "object", "additionalProperties": false,
		"properties": map[string]interface{}{
			"n": map[string]interface{}{"type": "integer", "minimum": 1.0},
			"s": map[string]interface{}{"type": "string", "enum": []interface{}{"a", "b"}},
		}}
	if errs := validateSchema(schema, map[string]interface{}{"n": int64(2), "s": "a"}); len(errs) != 0 {
		t.Errorf("valid values rejected: %v", errs)
	}
	errs := validateSchema(schema, map[string]interface{}{"n": 1.5, "s": "c", "x": true})
	if len(errs) != 3 {
		t.Errorf("want 3 violations, got %v", errs)
	}
	bad := map[string]interface{}{"type": "object", "patternProperties": map[string]interface{}{}}
	if errs := validateSchema(bad, map[string]interface{}{}); len(errs) != 1 {
		t.Errorf("an unsupported keyword must be reported, got %v", errs)
	}
}

func TestInstallOrder(t *testing.T) {
	ms := []manifest{{kind: "Deployment"}, {kind: "PodMonitor"}, {kind: "ServiceAccount"},
		{kind: "ClusterRole"}, {kind: "ClusterRoleBinding"}, {kind: "Alpha"}}
	sortByInstallOrder(ms)
	var got []string
	for _, m := range ms {
		got = append(got, m.kind)
	}
	want := []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment", "Alpha", "PodMonitor"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
}

// Issue 16: `--set serviceAccount.annotations.eks\.amazonaws\.com/role-arn=...` (the chart
// README's example) made nested maps eks -> amazonaws -> com/role-arn instead of one key.
// Expected values are real helm's (tests/chart/agreement_test.go compares the two directly).
func TestSetEscapedDotsMakeOneKey(t *testing.T) {
	vals := map[string]interface{}{}
	if err := applySet(vals, `serviceAccount.annotations.eks\.amazonaws\.com/role-arn=arn:aws:iam::1:role/x,k\\x=1`, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]interface{}{
		"serviceAccount": map[string]interface{}{"annotations": map[string]interface{}{
			"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/x"}},
		`k\x`: int64(1),
	}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("got %#v\nwant %#v", vals, want)
	}
}

// A list item's field at the very end of the argument (extraEnv[0].name=x) was dropped: the
// port returned val()'s io.EOF where strvals returns nil, so listItem never stored the map.
func TestSetListItemFieldAtEndOfArgument(t *testing.T) {
	vals := map[string]interface{}{}
	if err := applySet(vals, "e[0].name=x", false); err != nil {
		t.Fatal(err)
	}
	want := map[string]interface{}{"e": []interface{}{map[string]interface{}{"name": "x"}}}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("got %#v\nwant %#v", vals, want)
	}
}

// Issue 16: strvals compares true/false/null case-insensitively; True stayed a string.
func TestSetLiteralsAreCaseInsensitive(t *testing.T) {
	vals := map[string]interface{}{}
	if err := applySet(vals, "a=True,b=FALSE,c=Null,d=nULL,e=tRuE,l={True,NULL}", false); err != nil {
		t.Fatal(err)
	}
	want := map[string]interface{}{"a": true, "b": false, "c": nil, "d": nil, "e": true,
		"l": []interface{}{true, nil}}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("got %#v\nwant %#v", vals, want)
	}
	str := map[string]interface{}{}
	if err := applySet(str, "a=True,b=NULL", true); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(str, map[string]interface{}{"a": "True", "b": "NULL"}) {
		t.Errorf("--set-string must not type: %#v", str)
	}
	// Helm's errors, word for word.
	for arg, msg := range map[string]string{"a=1,a.b=2": "unable to parse key", "a=b,c": `key "c" has no value`,
		"a={x": "list must terminate with '}'"} {
		if err := applySet(map[string]interface{}{}, arg, false); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("--set %s: err = %v, want %q", arg, err, msg)
		}
	}
}

// Issue 16: hooks were printed among the manifests; helm template prints them after, by kind,
// and drops documents whose helm.sh/hook names an unknown event.
func TestHooksComeAfterManifests(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	os.WriteFile(filepath.Join(dir, "templates", "a.yaml"), []byte(`kind: Job
metadata: {name: pre, annotations: {helm.sh/hook: "pre-install, Post-Upgrade"}}
---
kind: ConfigMap
metadata: {name: dropped, annotations: {helm.sh/hook: sometime}}
---
kind: Pod
metadata: {name: test, annotations: {helm.sh/hook: test}}
---
kind: Deployment
metadata: {name: plain, annotations: {x: y}}
---
kind: ServiceAccount
metadata: {name: sa, labels: {}}
`), 0o644)
	out, err := renderChart(dir, "c", map[string]interface{}{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "metadata: {name: ") {
			names = append(names, strings.SplitN(strings.TrimPrefix(line, "metadata: {name: "), ",", 2)[0])
		}
	}
	want := []string{"sa", "plain", "test", "pre"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("order %v, want %v\n%s", names, want, out)
	}
}
