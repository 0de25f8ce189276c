// Monitoring objects: the PodMonitor relabeling that feeds the default analysis queries, the
// ServiceMonitor for the controller, and alert rules that promtool accepts.
package chart

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	yaml "gopkg.in/yaml.v2"
)

func TestMonitoringObjectsAreOptIn(t *testing.T) {
	docs := render(t)
	for _, k := range []string{"ServiceMonitor", "PodMonitor", "PrometheusRule"} {
		if find(docs, k, "") != nil {
			t.Errorf("%s rendered by default; it needs the Prometheus Operator CRDs", k)
		}
	}
}

func TestPodMonitorRelabelsRolloutLabels(t *testing.T) {
	docs := render(t, "--set", "modelServers.podMonitor.enabled=true")
	pm := mustFind(t, docs, "PodMonitor", "modelrollout-model-servers")
	exprs := list(get(pm, "spec", "selector", "matchExpressions"))
	if len(exprs) != 1 || get(exprs[0], "key") != "modelrollout.io/rollout" || get(exprs[0], "operator") != "Exists" {
		t.Errorf("selector = %v", get(pm, "spec", "selector"))
	}
	if get(pm, "spec", "namespaceSelector", "any") != true {
		t.Errorf("default namespaceSelector must be any: %v", get(pm, "spec", "namespaceSelector"))
	}
	eps := list(get(pm, "spec", "podMetricsEndpoints"))
	if len(eps) != 1 || get(eps[0], "port") != "metrics" || get(eps[0], "path") != "/metrics" {
		t.Fatalf("podMetricsEndpoints = %v", eps)
	}
	got := map[string]string{}
	for _, r := range list(get(eps[0], "relabelings")) {
		src := list(get(r, "sourceLabels"))
		if len(src) != 1 {
			t.Fatalf("relabeling with %d source labels: %v", len(src), r)
		}
		if a := str(get(r, "action")); a != "" && a != "replace" {
			t.Errorf("relabeling action %q, want replace", a)
		}
		got[str(src[0])] = str(get(r, "targetLabel"))
	}
	want := map[string]string{
		"__meta_kubernetes_pod_label_modelrollout_io_rollout":  "rollout",
		"__meta_kubernetes_pod_label_modelrollout_io_role":     "role",
		"__meta_kubernetes_pod_label_modelrollout_io_revision": "revision",
		"__meta_kubernetes_namespace":                          "namespace",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("relabelings\n got %v\nwant %v", got, want)
	}
	pm = mustFind(t, render(t, "--set", "modelServers.podMonitor.enabled=true,modelServers.podMonitor.namespaces={ml,ml-staging},modelServers.podMonitor.port=http-metrics"), "PodMonitor", "")
	if names := list(get(pm, "spec", "namespaceSelector", "matchNames")); len(names) != 2 || names[1] != "ml-staging" {
		t.Errorf("namespaces override: %v", get(pm, "spec", "namespaceSelector"))
	}
	if p := get(list(get(pm, "spec", "podMetricsEndpoints"))[0], "port"); p != "http-metrics" {
		t.Errorf("port override: %v", p)
	}
}

func TestServiceMonitorSelectsMetricsService(t *testing.T) {
	docs := render(t, "--set", "metrics.serviceMonitor.enabled=true,metrics.serviceMonitor.labels.release=kps")
	sm := mustFind(t, docs, "ServiceMonitor", "")
	svcLabels := get(mustFind(t, docs, "Service", "modelrollout-metrics"), "metadata", "labels").(obj)
	for k, v := range get(sm, "spec", "selector", "matchLabels").(obj) {
		if svcLabels[k] != v {
			t.Errorf("ServiceMonitor selects %s=%v, the metrics Service has %v", k, v, svcLabels[k])
		}
	}
	if get(sm, "metadata", "labels", "release") != "kps" {
		t.Errorf("extra labels not applied")
	}
	if ep := list(get(sm, "spec", "endpoints")); len(ep) != 1 || get(ep[0], "port") != "metrics" {
		t.Errorf("endpoints = %v", ep)
	}
}

func TestPrometheusRuleAlertsAndPromtoolAcceptsIt(t *testing.T) {
	docs := render(t, "--set", "prometheusRule.enabled=true,prometheusRule.pausedFor=6h")
	pr := mustFind(t, docs, "PrometheusRule", "")
	groups := list(get(pr, "spec", "groups"))
	alerts := map[string]obj{}
	for _, g := range groups {
		for _, r := range list(get(g, "rules")) {
			alerts[str(get(r, "alert"))] = r.(obj)
		}
	}
	for name, metric := range map[string]string{"ModelRolloutRolledBack": "modelrollout_rollout_info",
		"ModelRolloutDegraded": "modelrollout_rollout_info", "ModelRolloutStuckPaused": "modelrollout_rollout_info",
		"ModelRolloutStuck":          "modelrollout_rollout_canary_weight",
		"ModelRolloutAnalysisErrors": "modelrollout_rollout_analysis_consecutive_errors",
		"ModelRolloutControllerDown": "modelrollout_build_info", "ModelRolloutControllerNoLeader": "modelrollout_leader"} {
		if !strings.Contains(str(alerts[name]["expr"]), metric) {
			t.Errorf("alert %s expr %q does not use %s", name, alerts[name]["expr"], metric)
		}
	}
	if alerts["ModelRolloutStuckPaused"]["for"] != "6h" {
		t.Errorf("pausedFor override: %v", alerts["ModelRolloutStuckPaused"]["for"])
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not on PATH; rule syntax not checked")
		return
	}
	data, _ := yaml.Marshal(map[string]interface{}{"groups": groups})
	file := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(file, data, 0o644)
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s\n%s", err, out, data)
	}
}

// The plain Prometheus of e2e/kind uses the PodMonitor's relabeling; promtool must accept it.
func TestKindPrometheusConfigIsValid(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not on PATH; config not checked")
		return
	}
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "e2e/kind/prometheus.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cm := find(parseDocs(t, string(data)), "ConfigMap", "prometheus")
	cfg := str(get(cm, "data", "prometheus.yml"))
	if !strings.Contains(cfg, "__meta_kubernetes_pod_label_modelrollout_io_role") {
		t.Fatalf("kind Prometheus config lacks the role relabeling:\n%s", cfg)
	}
	// Debian's Prometheus is built without Kubernetes service discovery, so its promtool rejects
	// kubernetes_sd_configs; swap in a static target and check everything else (relabel rules).
	sd := regexp.MustCompile(`kubernetes_sd_configs: .*`)
	if len(sd.FindAllString(cfg, -1)) != 2 {
		t.Fatalf("expected two kubernetes_sd_configs jobs:\n%s", cfg)
	}
	cfg = sd.ReplaceAllString(cfg, `static_configs: [{targets: ["127.0.0.1:9"]}]`)
	file := filepath.Join(t.TempDir(), "prometheus.yml")
	os.WriteFile(file, []byte(cfg), 0o644)
	if out, err := exec.Command(promtool, "check", "config", "--syntax-only", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}
