// Issue 16 observability in the chart: alerts that name the rollout (promtool unit tests of
// the rendered PrometheusRule), the Grafana dashboard ConfigMap, PromQL of the dashboard that
// promtool parses, and the ServiceMonitor keeping the rollouts' own namespace label.
// Which metric names the dashboard and alerts may use is checked against the controller's
// scrape in tests/controller/monitoring_catalog_test.cpp.
package chart

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	yaml "gopkg.in/yaml.v2"
)

func promtoolOrSkip(t *testing.T) string {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not on PATH (Debian package prometheus)")
	}
	return promtool
}

func TestPrometheusRuleAlertsNameTheRolloutUnderPromtoolTests(t *testing.T) {
	promtool := promtoolOrSkip(t)
	docs := render(t, "--namespace", "modelrollout-system", "--set",
		"prometheusRule.enabled=true,prometheusRule.pausedFor=30m,prometheusRule.stuckFor=2h")
	pr := mustFind(t, docs, "PrometheusRule", "")
	data, err := yaml.Marshal(map[string]interface{}{"groups": get(pr, "spec", "groups")})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(repoRoot(t), "tests/chart/testdata/alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	testFile := filepath.Join(dir, "alerts_test.yaml")
	if err := os.WriteFile(testFile, tests, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "test", "rules", testFile).CombinedOutput(); err != nil {
		t.Errorf("promtool test rules: %v\n%s\nrules:\n%s", err, out, data)
	}
}

func TestPrometheusRulePerRolloutAlertsKeepNamespaceAndName(t *testing.T) {
	pr := mustFind(t, render(t, "--set", "prometheusRule.enabled=true"), "PrometheusRule", "")
	perRollout := map[string]bool{"ModelRolloutRolledBack": true, "ModelRolloutDegraded": true,
		"ModelRolloutStuckPaused": true, "ModelRolloutStuck": true, "ModelRolloutAnalysisErrors": true}
	for _, g := range list(get(pr, "spec", "groups")) {
		for _, r := range list(get(g, "rules")) {
			name := str(get(r, "alert"))
			if !perRollout[name] {
				continue
			}
			delete(perRollout, name)
			expr := str(get(r, "expr"))
			// An aggregation without namespace and name would drop the labels that name the rollout.
			if regexp.MustCompile(`\b(sum|max|min|avg|count)\b`).MatchString(expr) {
				t.Errorf("%s aggregates (%q); the rollout's labels would be lost", name, expr)
			}
			summary := str(get(r, "annotations", "summary"))
			if !strings.Contains(summary, "$labels.namespace") || !strings.Contains(summary, "$labels.name") {
				t.Errorf("%s summary %q does not name the rollout", name, summary)
			}
		}
	}
	for name := range perRollout {
		t.Errorf("alert %s missing", name)
	}
}

func TestServiceMonitorHonorsTheRolloutNamespaceLabel(t *testing.T) {
	sm := mustFind(t, render(t, "--set", "metrics.serviceMonitor.enabled=true"), "ServiceMonitor", "")
	ep := list(get(sm, "spec", "endpoints"))
	if len(ep) != 1 || get(ep[0], "honorLabels") != true {
		t.Errorf("endpoint must set honorLabels: true (else namespace becomes exported_namespace): %v", ep)
	}
}

func dashboardFile(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "charts/modelrollout/dashboards/modelrollout.json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestGrafanaDashboardConfigMapIsOptInAndCarriesTheFile(t *testing.T) {
	if find(render(t), "ConfigMap", "modelrollout-dashboard") != nil {
		t.Errorf("dashboard ConfigMap rendered by default")
	}
	docs := render(t, "--namespace", "mr", "--set",
		"grafanaDashboard.enabled=true,grafanaDashboard.annotations.grafana_folder=ML")
	cm := mustFind(t, docs, "ConfigMap", "modelrollout-dashboard")
	if get(cm, "metadata", "labels", "grafana_dashboard") != "1" {
		t.Errorf("sidecar label missing: %v", get(cm, "metadata", "labels"))
	}
	if get(cm, "metadata", "annotations", "grafana_folder") != "ML" || get(cm, "metadata", "namespace") != "mr" {
		t.Errorf("metadata = %v", get(cm, "metadata"))
	}
	var inMap, onDisk interface{}
	if err := json.Unmarshal([]byte(str(get(cm, "data", "modelrollout.json"))), &inMap); err != nil {
		t.Fatalf("ConfigMap data is not the dashboard JSON: %v", err)
	}
	if err := json.Unmarshal(dashboardFile(t), &onDisk); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inMap, onDisk) {
		t.Errorf("ConfigMap data differs from charts/modelrollout/dashboards/modelrollout.json")
	}
	cm = mustFind(t, render(t, "--set", "grafanaDashboard.enabled=true,grafanaDashboard.namespace=monitoring"),
		"ConfigMap", "modelrollout-dashboard")
	if get(cm, "metadata", "namespace") != "monitoring" {
		t.Errorf("namespace override: %v", get(cm, "metadata", "namespace"))
	}
}

// Every panel query (with Grafana's variables replaced) must be valid PromQL: they become
// recording rules that promtool checks.
func TestGrafanaDashboardQueriesPassPromtool(t *testing.T) {
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string      `json:"name"`
				Definition string      `json:"definition"`
				Query      interface{} `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(dashboardFile(t), &dash); err != nil {
		t.Fatal(err)
	}
	if dash.UID == "" {
		t.Error("dashboard has no uid (Grafana would make a new one on every import)")
	}
	vars := strings.NewReplacer("$__rate_interval", "5m", "$namespace", ".*", "$rollout", ".*", "$job", ".*")
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)
	var rules []map[string]string
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			rules = append(rules, map[string]string{"record": fmt.Sprintf("dashboard:panel_%d:%d", p.ID, len(rules)), "expr": vars.Replace(tg.Expr)})
		}
	}
	for _, v := range dash.Templating.List {
		if m := labelValues.FindStringSubmatch(v.Definition); m != nil {
			rules = append(rules, map[string]string{"record": "dashboard:var_" + v.Name, "expr": vars.Replace(m[1])})
		}
	}
	if len(rules) < 20 {
		t.Fatalf("only %d queries found", len(rules))
	}
	promtool := promtoolOrSkip(t)
	data, _ := yaml.Marshal(map[string]interface{}{"groups": []interface{}{map[string]interface{}{"name": "dashboard", "rules": rules}}})
	file := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	os.WriteFile(file, data, 0o644)
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on the dashboard's queries: %v\n%s\n%s", err, out, data)
	}
}
