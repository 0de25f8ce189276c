// The controller Deployment: hardening, resources, probes on the controller's endpoints, the
// exact flag set the controller accepts, the metrics Service, PDB, and values overrides.
package chart

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The controller's complete flag set (pinned in the brief shared with controller/).
var controllerFlags = []string{"--kubeconfig", "--context", "--namespace", "--workers",
	"--leader-elect", "--leader-election-namespace", "--leader-election-id",
	"--metrics-bind-address", "--health-probe-bind-address", "--log-format", "--log-level",
	"--allowed-prometheus-addresses", "--prometheus-max-body-bytes", "--prometheus-max-timeout"}

func TestSecurityContext(t *testing.T) {
	docs := render(t)
	pod := get(mustFind(t, docs, "Deployment", ""), "spec", "template", "spec")
	if get(pod, "securityContext", "runAsNonRoot") != true || get(pod, "securityContext", "runAsUser") != 65532 {
		t.Errorf("pod securityContext = %v", get(pod, "securityContext"))
	}
	c := controllerContainer(t, docs)
	sc := get(c, "securityContext")
	checks := map[string]interface{}{
		"runAsNonRoot": true, "runAsUser": 65532, "readOnlyRootFilesystem": true,
		"allowPrivilegeEscalation": false,
	}
	for k, want := range checks {
		if got := get(sc, k); got != want {
			t.Errorf("container securityContext.%s = %v, want %v", k, got, want)
		}
	}
	if drop := list(get(sc, "capabilities", "drop")); len(drop) != 1 || drop[0] != "ALL" {
		t.Errorf("capabilities.drop = %v, want [ALL]", drop)
	}
	if get(sc, "capabilities", "add") != nil {
		t.Errorf("no capability may be added")
	}
	if get(sc, "seccompProfile", "type") != "RuntimeDefault" {
		t.Errorf("seccompProfile = %v", get(sc, "seccompProfile"))
	}
	res := get(c, "resources")
	want := map[string]interface{}{"cpu": "50m", "memory": "32Mi"}
	if !reflect.DeepEqual(get(res, "requests"), obj(want)) {
		t.Errorf("requests = %v, want %v", get(res, "requests"), want)
	}
	if get(res, "limits", "memory") != "128Mi" {
		t.Errorf("memory limit = %v", get(res, "limits", "memory"))
	}
}

func TestProbesAndPorts(t *testing.T) {
	docs := render(t)
	c := controllerContainer(t, docs)
	ports := map[string]int{}
	for _, p := range list(c["ports"]) {
		ports[str(get(p, "name"))] = get(p, "containerPort").(int)
	}
	if !reflect.DeepEqual(ports, map[string]int{"metrics": 8080, "health": 8081}) {
		t.Errorf("ports = %v", ports)
	}
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if get(c, probe, "httpGet", "path") != path || get(c, probe, "httpGet", "port") != "health" {
			t.Errorf("%s = %v", probe, get(c, probe))
		}
	}
	as := args(t, docs)
	for _, a := range []string{"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081",
		"--log-format=json", "--workers=8", "--log-level=info"} {
		if !hasArg(as, a) {
			t.Errorf("missing %s in %v", a, as)
		}
	}
	svc := mustFind(t, docs, "Service", "modelrollout-metrics")
	sp := list(get(svc, "spec", "ports"))
	if len(sp) != 1 || get(sp[0], "port") != 8080 || get(sp[0], "targetPort") != "metrics" {
		t.Errorf("metrics Service ports = %v", sp)
	}
	podLabels := get(mustFind(t, docs, "Deployment", ""), "spec", "template", "metadata", "labels").(obj)
	for k, v := range get(svc, "spec", "selector").(obj) {
		if podLabels[k] != v {
			t.Errorf("metrics Service selector %s=%v does not match the pod labels", k, v)
		}
	}
	docs = render(t, "--set", "metrics.port=9090,healthPort=9091,workers=12")
	as = args(t, docs)
	for _, a := range []string{"--metrics-bind-address=:9090", "--health-probe-bind-address=:9091", "--workers=12"} {
		if !hasArg(as, a) {
			t.Errorf("override: missing %s in %v", a, as)
		}
	}
}

func TestArgsUseOnlyControllerFlags(t *testing.T) {
	docs := render(t, "--set", "replicaCount=2,watchNamespace=ml,logLevel=debug")
	for _, a := range args(t, docs) {
		name := strings.SplitN(a, "=", 2)[0]
		known := false
		for _, f := range controllerFlags {
			known = known || f == name
		}
		if !known {
			t.Errorf("arg %q is not a controller flag", a)
		}
	}
	// When a controller is built, ask it: every flag the chart passes must be in its --help.
	bins, _ := filepath.Glob(filepath.Join(repoRoot(t), "build*/controller/modelrollout-controller"))
	if len(bins) == 0 {
		t.Log("no built controller found; checked against the pinned flag list only")
		return
	}
	out, _ := exec.Command(bins[0], "--help").CombinedOutput()
	for _, a := range args(t, docs) {
		name := strings.SplitN(a, "=", 2)[0]
		if !strings.Contains(string(out), name) {
			t.Errorf("%s --help does not mention %s", bins[0], name)
		}
	}
}

func TestEveryNamespacedObjectHasANamespace(t *testing.T) {
	clusterScoped := map[string]bool{"ClusterRole": true, "ClusterRoleBinding": true,
		"CustomResourceDefinition": true, "Namespace": true}
	docs := render(t, "--namespace", "mr-system", "--set",
		"metrics.serviceMonitor.enabled=true,modelServers.podMonitor.enabled=true,prometheusRule.enabled=true,replicaCount=2")
	for _, d := range docs {
		if str(d["apiVersion"]) == "" || str(d["kind"]) == "" || str(get(d, "metadata", "name")) == "" {
			t.Errorf("document lacks apiVersion/kind/name: %v", d)
		}
		ns := str(get(d, "metadata", "namespace"))
		if clusterScoped[str(d["kind"])] {
			if ns != "" {
				t.Errorf("%s must not carry a namespace", d["kind"])
			}
		} else if ns == "" {
			t.Errorf("%s %v has no namespace; kubectl apply would use the context's", d["kind"], get(d, "metadata", "name"))
		}
	}
}

func TestValuesFileOverrides(t *testing.T) {
	f := filepath.Join(t.TempDir(), "values.yaml")
	os.WriteFile(f, []byte(`image: {repository: registry.local/mr, tag: "1.2.3", pullPolicy: Always}
podLabels: {team: ml}
nodeSelector: {kubernetes.io/os: linux}
tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]
resources: {limits: null, requests: {cpu: 10m}}
podDisruptionBudget: {minAvailable: 1}
`), 0o644)
	docs := render(t, "-f", f, "--set", "fullnameOverride=mr")
	dep := mustFind(t, docs, "Deployment", "mr")
	c := controllerContainer(t, docs)
	if c["image"] != "registry.local/mr:1.2.3" || c["imagePullPolicy"] != "Always" {
		t.Errorf("image = %v %v", c["image"], c["imagePullPolicy"])
	}
	spec := get(dep, "spec", "template", "spec")
	if get(spec, "nodeSelector", "kubernetes.io/os") != "linux" || len(list(get(spec, "tolerations"))) != 1 {
		t.Errorf("scheduling overrides lost: %v", spec)
	}
	if get(dep, "spec", "template", "metadata", "labels", "team") != "ml" {
		t.Errorf("podLabels not applied")
	}
	// A null in a values file deletes the chart default, as in Helm.
	if get(c, "resources", "limits") != nil || get(c, "resources", "requests", "cpu") != "10m" ||
		get(c, "resources", "requests", "memory") != "32Mi" {
		t.Errorf("resources = %v", c["resources"])
	}
	pdb := mustFind(t, docs, "PodDisruptionBudget", "mr")
	if get(pdb, "spec", "minAvailable") != 1 || get(pdb, "spec", "maxUnavailable") != nil {
		t.Errorf("pdb spec = %v", pdb["spec"])
	}
	if find(render(t, "--set", "podDisruptionBudget.enabled=false"), "PodDisruptionBudget", "") != nil {
		t.Errorf("PDB rendered although disabled")
	}
	if c := controllerContainer(t, render(t)); c["image"] != "ghcr.io/modelrollout/modelrollout-controller:0.1.0" {
		t.Errorf("default image tag must be the appVersion: %v", c["image"])
	}
}

func TestSchemaRejectsBadValues(t *testing.T) {
	for _, set := range []string{"workers=0", "logLevel=loud", "replicaCount=-1", "unknownKey=1",
		"image.pullPolicy=Sometimes", "watchNamespace=Bad_NS", "prometheusRule.pausedFor=soon"} {
		_, errs, ok := renderRaw(t, "--set", set)
		if ok {
			t.Errorf("--set %s: rendered, want a schema error", set)
		} else if !strings.Contains(errs, "schema") {
			t.Errorf("--set %s: error does not come from the schema: %s", set, errs)
		}
	}
}
