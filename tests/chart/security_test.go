// Tenant isolation for analysis (issue 15, docs/security.md): the chart passes the Prometheus
// allow-list and caps to the controller, grants Secret reads only in the namespaces (and to the
// Secrets) listed, and its schema refuses allow-list entries with user info.
package chart

import (
	"reflect"
	"strings"
	"testing"
)

func TestPrometheusAllowListDefaultsToTheInClusterPrometheus(t *testing.T) {
	as := args(t, render(t))
	for _, want := range []string{"--allowed-prometheus-addresses=http://prometheus.monitoring:9090",
		"--prometheus-max-body-bytes=8388608", "--prometheus-max-timeout=60s"} {
		if !hasArg(as, want) {
			t.Errorf("args %v lack %s", as, want)
		}
	}
}

func TestPrometheusAllowListFromValues(t *testing.T) {
	as := args(t, render(t, "--set",
		"analysis.allowedPrometheusAddresses={https://thanos.obs:10902/tenant-a,http://prom.mon:9090},analysis.maxResponseBytes=1048576,analysis.maxQueryTimeout=30s"))
	for _, want := range []string{
		"--allowed-prometheus-addresses=https://thanos.obs:10902/tenant-a,http://prom.mon:9090",
		"--prometheus-max-body-bytes=1048576", "--prometheus-max-timeout=30s"} {
		if !hasArg(as, want) {
			t.Errorf("args %v lack %s", as, want)
		}
	}
}

// Issue 15: the ClusterRole granted `get secrets` everywhere, so any ModelRollout author could
// have the controller read (and send) any Secret of their namespace.
func TestRBACSecretsOnlyInListedNamespaces(t *testing.T) {
	for _, set := range [][]string{nil, {"--set", "watchNamespace=ml"}} {
		for _, d := range render(t, set...) {
			if k := str(d["kind"]); k == "ClusterRole" || k == "Role" {
				for key := range ruleSet(t, d) {
					if strings.HasPrefix(key, "/secrets") {
						t.Errorf("%v: %s %v grants %s without analysis.secretNamespaces", set, k,
							get(d, "metadata", "name"), key)
					}
				}
			}
		}
	}
	docs := render(t, "--namespace", "mr-system", "--set", "analysis.secretNamespaces={ml,search}")
	for _, ns := range []string{"ml", "search"} {
		var role, binding obj
		for _, d := range docs {
			if str(get(d, "metadata", "name")) == "modelrollout-analysis-secrets" &&
				str(get(d, "metadata", "namespace")) == ns {
				switch str(d["kind"]) {
				case "Role":
					role = d
				case "RoleBinding":
					binding = d
				}
			}
		}
		if role == nil || binding == nil {
			t.Fatalf("no Role/RoleBinding modelrollout-analysis-secrets in %s: %v", ns, kinds(docs))
		}
		if got := ruleSet(t, role); !reflect.DeepEqual(got, map[string]string{"/secrets": "get"}) {
			t.Errorf("%s: rules %v, want only get secrets", ns, got)
		}
		subj := list(binding["subjects"])
		if len(subj) != 1 || get(subj[0], "name") != "modelrollout" || get(subj[0], "namespace") != "mr-system" {
			t.Errorf("%s: subjects = %v", ns, subj)
		}
		if get(binding, "roleRef", "kind") != "Role" || get(binding, "roleRef", "name") != "modelrollout-analysis-secrets" {
			t.Errorf("%s: roleRef = %v", ns, binding["roleRef"])
		}
	}
	cluster := ruleSet(t, mustFind(t, docs, "ClusterRole", "modelrollout"))
	if _, ok := cluster["/secrets"]; ok {
		t.Errorf("ClusterRole still grants secrets: %v", cluster)
	}
}

func TestRBACSecretRoleNamesOnlyListedSecrets(t *testing.T) {
	docs := render(t, "--set", "analysis.secretNamespaces={ml},analysis.secretNames={prom-token,prom-ca}")
	role := mustFind(t, docs, "Role", "modelrollout-analysis-secrets")
	want := map[string]string{"/secrets[prom-token,prom-ca]": "get"}
	if got := ruleSet(t, role); !reflect.DeepEqual(got, want) {
		t.Errorf("rules %v, want %v", got, want)
	}
}

func TestSchemaRejectsUserInfoOrBadPrometheusValues(t *testing.T) {
	for _, set := range []string{"analysis.allowedPrometheusAddresses={http://user:pw@prom:9090}",
		"analysis.allowedPrometheusAddresses={prom:9090}", "analysis.allowedPrometheusAddresses={http://p/?q=1}",
		"analysis.maxResponseBytes=12", "analysis.maxQueryTimeout=forever", "analysis.secretNamespaces={Bad_NS}"} {
		_, errs, ok := renderRaw(t, "--set", set)
		if ok {
			t.Errorf("--set %s: rendered, want a schema error", set)
		} else if !strings.Contains(errs, "schema") {
			t.Errorf("--set %s: error does not come from the schema: %s", set, errs)
		}
	}
}
