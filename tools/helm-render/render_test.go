// Unit tests pinning the Helm behaviours the renderer imitates. Expected strings are what
// Helm 3 produces for the same input (sigs.k8s.io/yaml, strvals, chartutil.CoalesceValues).
package main

import (
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
