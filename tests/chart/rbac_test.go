// RBAC: the chart grants exactly the API calls the controller makes, no wildcards, status in
// its own rule, a namespaced Role when one namespace is watched, and Lease rights only with
// leader election.
package chart

import (
	"reflect"
	"strings"
	"testing"
)

var controllerRules = map[string]string{
	"modelrollout.io/modelrollouts":        "list,patch,watch",
	"modelrollout.io/modelrollouts/status": "update",
	"apps/deployments":                     "create,get,list,patch,watch",
	"/services":                            "create,get,list,patch,watch",
	"gateway.networking.k8s.io/httproutes": "get,list,update,watch",
	"networking.istio.io/virtualservices":  "get,list,update,watch",
	"/pods":                                "list",
	"/events":                              "create,patch",
}

func TestRBACClusterRoleIsExactlyTheControllersCalls(t *testing.T) {
	docs := render(t)
	got := ruleSet(t, mustFind(t, docs, "ClusterRole", "modelrollout"))
	if !reflect.DeepEqual(got, controllerRules) {
		t.Errorf("ClusterRole rules\n got %v\nwant %v", got, controllerRules)
	}
	for _, d := range docs {
		if k := str(d["kind"]); k == "Role" || k == "RoleBinding" {
			t.Errorf("single replica without leader election must not render %s %v", k, get(d, "metadata", "name"))
		}
	}
	binding := mustFind(t, docs, "ClusterRoleBinding", "modelrollout")
	if get(binding, "roleRef", "kind") != "ClusterRole" || get(binding, "roleRef", "name") != "modelrollout" {
		t.Errorf("roleRef = %v", binding["roleRef"])
	}
	subj := list(binding["subjects"])
	if len(subj) != 1 || get(subj[0], "name") != "modelrollout" || get(subj[0], "namespace") != "default" ||
		get(subj[0], "kind") != "ServiceAccount" {
		t.Errorf("subjects = %v", subj)
	}
	if sa := mustFind(t, docs, "ServiceAccount", "modelrollout"); get(sa, "metadata", "namespace") != "default" {
		t.Errorf("ServiceAccount namespace = %v", get(sa, "metadata", "namespace"))
	}
}

func TestRBACHasNoWildcards(t *testing.T) {
	for _, set := range [][]string{nil, {"--set", "replicaCount=3"}, {"--set", "watchNamespace=ml"}} {
		out, errs, ok := renderRaw(t, set...)
		if !ok {
			t.Fatalf("render: %s", errs)
		}
		for _, d := range parseDocs(t, out) {
			k := str(d["kind"])
			if k != "ClusterRole" && k != "Role" {
				continue
			}
			for _, r := range list(d["rules"]) {
				for _, field := range []string{"apiGroups", "resources", "verbs", "resourceNames"} {
					for _, v := range list(get(r, field)) {
						if strings.Contains(str(v), "*") {
							t.Errorf("%s %v: wildcard in %s", k, get(d, "metadata", "name"), field)
						}
					}
				}
			}
		}
	}
}

func TestRBACRouterRulesCanBeTurnedOff(t *testing.T) {
	got := ruleSet(t, mustFind(t, render(t, "--set", "rbac.gatewayAPI=false,rbac.istio=false"), "ClusterRole", "modelrollout"))
	for _, k := range []string{"gateway.networking.k8s.io/httproutes", "networking.istio.io/virtualservices"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s still granted", k)
		}
	}
	if got["apps/deployments"] == "" {
		t.Errorf("core rules lost: %v", got)
	}
}

func TestWatchNamespaceUsesRoleInThatNamespace(t *testing.T) {
	docs := render(t, "--namespace", "mr-system", "--set", "watchNamespace=ml")
	// Only the aggregated user roles (aggregated_test.go) stay cluster-wide.
	if find(docs, "ClusterRole", "modelrollout") != nil || find(docs, "ClusterRoleBinding", "") != nil {
		t.Fatalf("watchNamespace must not render cluster-wide RBAC for the controller: %v", kinds(docs))
	}
	role := mustFind(t, docs, "Role", "modelrollout")
	if ns := get(role, "metadata", "namespace"); ns != "ml" {
		t.Errorf("Role namespace = %v, want ml", ns)
	}
	if got := ruleSet(t, role); !reflect.DeepEqual(got, controllerRules) {
		t.Errorf("Role rules\n got %v\nwant %v", got, controllerRules)
	}
	rb := mustFind(t, docs, "RoleBinding", "modelrollout")
	if get(rb, "metadata", "namespace") != "ml" || get(rb, "roleRef", "kind") != "Role" {
		t.Errorf("RoleBinding = %v", rb)
	}
	if subj := list(rb["subjects"]); len(subj) != 1 || get(subj[0], "namespace") != "mr-system" {
		t.Errorf("RoleBinding must bind the release-namespace ServiceAccount: %v", subj)
	}
	if !hasArg(args(t, docs), "--namespace=ml") {
		t.Errorf("controller args lack --namespace=ml: %v", args(t, docs))
	}
	if hasArg(args(t, render(t)), "--namespace=") {
		t.Errorf("--namespace must be absent by default")
	}
}

func TestLeaderElection(t *testing.T) {
	cases := []struct {
		set  string
		want bool
	}{
		{"replicaCount=1", false},
		{"replicaCount=2", true},
		{"replicaCount=1,leaderElection.enabled=true", true},
		{"replicaCount=3,leaderElection.id=my-lease", true},
	}
	for _, c := range cases {
		docs := render(t, "--namespace", "mr-system", "--set", c.set)
		as := args(t, docs)
		if hasArg(as, "--leader-elect") != c.want {
			t.Errorf("%s: --leader-elect present=%v, want %v (args %v)", c.set, !c.want, c.want, as)
		}
		role := find(docs, "Role", "modelrollout-leader-election")
		if (role != nil) != c.want {
			t.Errorf("%s: leader-election Role rendered=%v, want %v", c.set, role != nil, c.want)
		}
		if !c.want {
			continue
		}
		id := "modelrollout-controller"
		if strings.Contains(c.set, "my-lease") {
			id = "my-lease"
		}
		for _, a := range []string{"--leader-election-namespace=mr-system", "--leader-election-id=" + id} {
			if !hasArg(as, a) {
				t.Errorf("%s: missing %s in %v", c.set, a, as)
			}
		}
		want := map[string]string{
			"coordination.k8s.io/leases":             "create",
			"coordination.k8s.io/leases[" + id + "]": "get,update",
		}
		if got := ruleSet(t, role); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: lease rules %v, want %v", c.set, got, want)
		}
		if get(role, "metadata", "namespace") != "mr-system" {
			t.Errorf("lease Role must live in the release namespace")
		}
		rb := mustFind(t, docs, "RoleBinding", "modelrollout-leader-election")
		if get(rb, "roleRef", "name") != "modelrollout-leader-election" {
			t.Errorf("lease RoleBinding roleRef = %v", rb["roleRef"])
		}
	}
}

func TestRBACCanBeDisabledAndServiceAccountNamed(t *testing.T) {
	docs := render(t, "--set", "rbac.create=false,serviceAccount.create=false,serviceAccount.name=ops-sa")
	for _, k := range []string{"ClusterRole", "ClusterRoleBinding", "ServiceAccount"} {
		if find(docs, k, "") != nil {
			t.Errorf("%s rendered although disabled", k)
		}
	}
	dep := mustFind(t, docs, "Deployment", "")
	if sa := get(dep, "spec", "template", "spec", "serviceAccountName"); sa != "ops-sa" {
		t.Errorf("serviceAccountName = %v", sa)
	}
	_, errs, ok := renderRaw(t, "--set", "serviceAccount.create=false")
	if ok || !strings.Contains(errs, "serviceAccount.name is required") {
		t.Errorf("missing serviceAccount.name must fail with a clear message; ok=%v stderr=%s", ok, errs)
	}
}
