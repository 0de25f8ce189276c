// Aggregated ClusterRoles: holders of the built-in view/edit/admin roles get ModelRollout rights
// (issue 16: users with `edit` were Forbidden on kubectl apply and on the plugin's promote/abort).
package chart

import (
	"reflect"
	"strings"
	"testing"
)

var aggregatedRules = map[string]map[string]string{
	"view": {
		"modelrollout.io/modelrollouts":        "get,list,watch",
		"modelrollout.io/modelrollouts/status": "get",
		"modelrollout.io/modelrollouts/scale":  "get",
	},
	"edit": {
		"modelrollout.io/modelrollouts":        "create,delete,deletecollection,get,list,patch,update,watch",
		"modelrollout.io/modelrollouts/status": "get",
		"modelrollout.io/modelrollouts/scale":  "get,patch,update",
	},
}

func TestAggregatedRolesForViewEditAdmin(t *testing.T) {
	for _, set := range [][]string{nil, {"--set", "watchNamespace=ml"}} {
		docs := render(t, set...)
		for _, role := range []string{"view", "edit", "admin"} {
			cr := mustFind(t, docs, "ClusterRole", "modelrollout-aggregate-to-"+role)
			labels := get(cr, "metadata", "labels").(obj)
			var agg []string
			for k, v := range labels {
				if strings.HasPrefix(k, "rbac.authorization.k8s.io/aggregate-to-") {
					agg = append(agg, k+"="+str(v))
				}
			}
			if want := "rbac.authorization.k8s.io/aggregate-to-" + role + "=true"; len(agg) != 1 || agg[0] != want {
				t.Errorf("%v %s: aggregation labels %v, want only %s", set, role, agg, want)
			}
			want := aggregatedRules[role]
			if role == "admin" {
				want = aggregatedRules["edit"]
			}
			if got := ruleSet(t, cr); !reflect.DeepEqual(got, want) {
				t.Errorf("%v %s: rules\n got %v\nwant %v", set, role, got, want)
			}
			if cr["aggregationRule"] != nil {
				t.Errorf("%s must be aggregated into the built-in role, not aggregate itself", role)
			}
		}
	}
}

// The plugin's promote/abort/retry are merge patches of annotations and pause/resume of
// spec.paused (plugin/plugin_commands.h): `patch` on modelrollouts, which edit grants and
// view does not. Nobody but the controller writes status.
func TestAggregatedRolesNeverWriteStatus(t *testing.T) {
	for _, d := range render(t) {
		name := str(get(d, "metadata", "name"))
		if d["kind"] != "ClusterRole" || !strings.Contains(name, "aggregate-to-") {
			continue
		}
		for key, verbs := range ruleSet(t, d) {
			if key == "modelrollout.io/modelrollouts/status" && verbs != "get" {
				t.Errorf("%s grants %s on status", name, verbs)
			}
			if !strings.HasPrefix(key, "modelrollout.io/") {
				t.Errorf("%s grants %s outside modelrollout.io", name, key)
			}
		}
	}
}

func TestAggregatedRolesCanBeTurnedOff(t *testing.T) {
	for _, set := range []string{"rbac.aggregatedRoles.enabled=false", "rbac.create=false,serviceAccount.name=sa"} {
		for _, d := range render(t, "--set", set) {
			if strings.Contains(str(get(d, "metadata", "name")), "aggregate-to-") {
				t.Errorf("%s: %s %v still rendered", set, d["kind"], get(d, "metadata", "name"))
			}
		}
	}
}
