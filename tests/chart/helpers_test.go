// Helpers for the chart tests: render the chart through tools/helm-render/render.sh with the
// pinned real helm (scripts/ensure-helm.sh; the ctest fixture chart.helm builds it once and
// writes its path to $MR_HELM_PATH_FILE), or with the offline Go renderer when Go modules
// cannot be fetched; and look documents up by kind and name.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	yaml "gopkg.in/yaml.v2"
)

type obj = map[string]interface{}

func repoRoot(t *testing.T) string {
	t.Helper()
	if r := os.Getenv("MR_REPO_ROOT"); r != "" {
		return r
	}
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := obj{}
		for k, val := range t {
			m[fmt.Sprint(k)] = normalize(val)
		}
		return m
	case []interface{}:
		for i := range t {
			t[i] = normalize(t[i])
		}
	}
	return v
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

func parseDocs(t *testing.T, text string) []obj {
	t.Helper()
	var docs []obj
	for _, part := range docSep.Split(text, -1) {
		if strings.TrimSpace(part) == "" {
			continue
		}
		var raw interface{}
		if err := yaml.Unmarshal([]byte(part), &raw); err != nil {
			t.Fatalf("rendered document is not YAML: %v\n%s", err, part)
		}
		if raw == nil {
			continue // a document made only of comments
		}
		docs = append(docs, normalize(raw).(obj))
	}
	return docs
}

var (
	helmOnce   sync.Once
	helmPath   string // absolute path of the pinned helm, "" when unavailable
	helmAbsent string // why helm is unavailable (ensure-helm.sh exit 2)
	helmErr    string // ensure-helm.sh failed for another reason: a test failure
)

// findHelm reads the fixture's answer, or asks scripts/ensure-helm.sh (go test run by hand).
func findHelm(root string) {
	if f := os.Getenv("MR_HELM_PATH_FILE"); f != "" {
		if data, err := os.ReadFile(f); err == nil {
			line := strings.TrimSpace(string(data))
			if strings.HasPrefix(line, "/") {
				helmPath = line
			} else {
				helmAbsent = line
			}
			return
		}
	}
	cmd := exec.Command(filepath.Join(root, "scripts/ensure-helm.sh"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		helmPath = strings.TrimSpace(out.String())
	case errors.As(err, &exit) && exit.ExitCode() == 2:
		helmAbsent = strings.TrimSpace(errb.String())
	default:
		helmErr = fmt.Sprintf("scripts/ensure-helm.sh: %v\n%s", err, errb.String())
	}
}

// helm returns the pinned helm's path, or "" when Go modules cannot be fetched here.
func helm(t *testing.T) string {
	t.Helper()
	helmOnce.Do(func() { findHelm(repoRoot(t)) })
	if helmErr != "" {
		t.Fatal(helmErr)
	}
	return helmPath
}

// requireHelm skips the test when helm cannot be built here (the fixture said so once).
func requireHelm(t *testing.T) string {
	t.Helper()
	h := helm(t)
	if h == "" {
		t.Skipf("helm unavailable (%s)", helmAbsent)
	}
	return h
}

// renderWith runs render.sh with mode "helm" (the pinned helm) or "go" (the offline renderer).
func renderWith(t *testing.T, mode string, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot(t), "tools/helm-render/render.sh"), args...)
	cmd.Env = append(os.Environ(), "HELM_RENDER="+mode)
	if mode == "helm" {
		cmd.Env = append(cmd.Env, "HELM_BIN="+requireHelm(t))
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

// renderRaw renders with real helm when available, else with the Go renderer; it returns
// stdout, stderr and whether rendering succeeded.
func renderRaw(t *testing.T, args ...string) (string, string, bool) {
	t.Helper()
	if helm(t) != "" {
		return renderWith(t, "helm", args...)
	}
	return renderWith(t, "go", args...)
}

// runHelm runs the pinned helm (skipping the test when there is none) in the repository root.
func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(requireHelm(t), args...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func render(t *testing.T, args ...string) []obj {
	t.Helper()
	out, errs, ok := renderRaw(t, args...)
	if !ok {
		t.Fatalf("render %v failed: %s", args, errs)
	}
	return parseDocs(t, out)
}

func str(v interface{}) string { s, _ := v.(string); return s }

func get(o interface{}, path ...string) interface{} {
	for _, p := range path {
		m, ok := o.(obj)
		if !ok {
			return nil
		}
		o = m[p]
	}
	return o
}

func list(v interface{}) []interface{} { l, _ := v.([]interface{}); return l }

func find(docs []obj, kind, name string) obj {
	for _, d := range docs {
		if d["kind"] == kind && (name == "" || get(d, "metadata", "name") == name) {
			return d
		}
	}
	return nil
}

func kinds(docs []obj) []string {
	var ks []string
	for _, d := range docs {
		ks = append(ks, fmt.Sprintf("%s/%s", d["kind"], str(get(d, "metadata", "name"))))
	}
	sort.Strings(ks)
	return ks
}

func mustFind(t *testing.T, docs []obj, kind, name string) obj {
	t.Helper()
	d := find(docs, kind, name)
	if d == nil {
		t.Fatalf("no %s %q in rendered chart; have %v", kind, name, kinds(docs))
	}
	return d
}

func controllerContainer(t *testing.T, docs []obj) obj {
	t.Helper()
	dep := mustFind(t, docs, "Deployment", "")
	cs := list(get(dep, "spec", "template", "spec", "containers"))
	if len(cs) != 1 {
		t.Fatalf("want 1 container, got %d", len(cs))
	}
	return cs[0].(obj)
}

func args(t *testing.T, docs []obj) []string {
	var out []string
	for _, a := range list(controllerContainer(t, docs)["args"]) {
		out = append(out, str(a))
	}
	return out
}

func hasArg(as []string, want string) bool {
	for _, a := range as {
		if a == want {
			return true
		}
	}
	return false
}

// ruleSet flattens RBAC rules to "group/resource[/names]" -> sorted verbs, joined by ",".
func ruleSet(t *testing.T, role obj) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range list(role["rules"]) {
		rule := r.(obj)
		var verbs []string
		for _, v := range list(rule["verbs"]) {
			verbs = append(verbs, str(v))
		}
		sort.Strings(verbs)
		var names []string
		for _, n := range list(rule["resourceNames"]) {
			names = append(names, str(n))
		}
		for _, g := range list(rule["apiGroups"]) {
			for _, res := range list(rule["resources"]) {
				key := str(g) + "/" + str(res)
				if len(names) > 0 {
					key += "[" + strings.Join(names, ",") + "]"
				}
				if _, dup := out[key]; dup {
					t.Errorf("%s appears in two rules", key)
				}
				out[key] = strings.Join(verbs, ",")
			}
		}
	}
	return out
}
