// Chart knobs users fork charts for (issue 16): extraArgs, extraEnv, extraVolumes and
// extraVolumeMounts, topologySpreadConstraints, extraObjects, ServiceMonitor/PodMonitor
// relabelings and metricRelabelings, namespaceOverride; and the schema entries that admit them.
package chart

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeValues(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestKnobExtraArgsEnvAndVolumes(t *testing.T) {
	f := writeValues(t, `extraArgs: ["--leader-elect-lease-duration=30s", "--log-level={{ .Values.logLevel }}"]
logLevel: debug
extraEnv:
  - {name: HTTPS_PROXY, value: "http://proxy:3128"}
  - name: FROM_SECRET
    valueFrom: {secretKeyRef: {name: s, key: k}}
extraVolumes:
  - {name: ca, configMap: {name: "{{ .Release.Name }}-ca"}}
extraVolumeMounts:
  - {name: ca, mountPath: /etc/ssl/extra, readOnly: true}
`)
	docs := render(t, "--release", "rel", "-f", f)
	as := args(t, docs)
	n := len(as)
	if n < 2 || as[n-2] != "--leader-elect-lease-duration=30s" || as[n-1] != "--log-level=debug" {
		t.Errorf("extraArgs must come last (the controller takes the last of a repeated flag), templated: %v", as)
	}
	c := controllerContainer(t, docs)
	var envs []string
	for _, e := range list(c["env"]) {
		envs = append(envs, str(get(e, "name")))
	}
	if want := []string{"POD_NAME", "POD_NAMESPACE", "HTTPS_PROXY", "FROM_SECRET"}; !reflect.DeepEqual(envs, want) {
		t.Errorf("env names %v, want %v", envs, want)
	}
	mounts := list(c["volumeMounts"])
	if len(mounts) != 2 || get(mounts[1], "mountPath") != "/etc/ssl/extra" || get(mounts[0], "mountPath") != "/tmp" {
		t.Errorf("volumeMounts = %v", mounts)
	}
	vols := list(get(mustFind(t, docs, "Deployment", ""), "spec", "template", "spec", "volumes"))
	if len(vols) != 2 || get(vols[1], "configMap", "name") != "rel-ca" {
		t.Errorf("volumes = %v (extraVolumes pass through tpl)", vols)
	}
	// The chart's hardening is not loosened by the knobs.
	if get(c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Errorf("securityContext changed")
	}
}

func TestKnobTopologySpreadConstraints(t *testing.T) {
	f := writeValues(t, `topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
  - maxSkew: 2
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: DoNotSchedule
    labelSelector: {matchLabels: {custom: "yes"}}
`)
	docs := render(t, "-f", f)
	pod := get(mustFind(t, docs, "Deployment", ""), "spec", "template")
	tsc := list(get(pod, "spec", "topologySpreadConstraints"))
	if len(tsc) != 2 {
		t.Fatalf("topologySpreadConstraints = %v", tsc)
	}
	// Without labelSelector, the pod's selector labels: the constraint then counts these pods.
	sel := get(tsc[0], "labelSelector", "matchLabels").(obj)
	podLabels := get(pod, "metadata", "labels").(obj)
	if len(sel) < 2 {
		t.Errorf("default labelSelector = %v", sel)
	}
	for k, v := range sel {
		if podLabels[k] != v {
			t.Errorf("default labelSelector %s=%v does not select the controller pods", k, v)
		}
	}
	if !reflect.DeepEqual(get(tsc[1], "labelSelector"), obj{"matchLabels": obj{"custom": "yes"}}) {
		t.Errorf("an explicit labelSelector must be kept: %v", get(tsc[1], "labelSelector"))
	}
	if get(tsc[0], "topologyKey") != "topology.kubernetes.io/zone" || get(tsc[1], "maxSkew") != 2 {
		t.Errorf("constraints changed: %v", tsc)
	}
	if get(mustFind(t, render(t), "Deployment", ""), "spec", "template", "spec", "topologySpreadConstraints") != nil {
		t.Errorf("no topologySpreadConstraints by default")
	}
}

func TestKnobExtraObjectsAreTemplated(t *testing.T) {
	f := writeValues(t, `extraObjects:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: '{{ include "modelrollout.fullname" . }}-extra'
      namespace: '{{ .Release.Namespace }}'
    data: {release: '{{ .Release.Name }}'}
  - |
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: {{ .Release.Name }}-egress
      namespace: {{ .Release.Namespace }}
    spec:
      podSelector: {}
      policyTypes: [Egress]
`)
	docs := render(t, "--release", "rel", "--namespace", "mr-system", "-f", f)
	cm := mustFind(t, docs, "ConfigMap", "rel-modelrollout-extra")
	if get(cm, "metadata", "namespace") != "mr-system" || get(cm, "data", "release") != "rel" {
		t.Errorf("templated map object = %v", cm)
	}
	np := mustFind(t, docs, "NetworkPolicy", "rel-egress")
	if get(np, "metadata", "namespace") != "mr-system" {
		t.Errorf("templated string object = %v", np)
	}
	if find(render(t), "ConfigMap", "") != nil {
		t.Errorf("no extra objects by default")
	}
}

func TestKnobMonitorRelabelings(t *testing.T) {
	f := writeValues(t, `metrics:
  serviceMonitor:
    enabled: true
    relabelings: [{targetLabel: cluster, replacement: prod}]
    metricRelabelings: [{sourceLabels: [__name__], regex: go_.*, action: drop}]
modelServers:
  podMonitor:
    enabled: true
    relabelings: [{targetLabel: cluster, replacement: prod}]
    metricRelabelings: [{sourceLabels: [__name__], regex: python_.*, action: drop}]
`)
	docs := render(t, "-f", f)
	ep := list(get(mustFind(t, docs, "ServiceMonitor", ""), "spec", "endpoints"))[0]
	if rl := list(get(ep, "relabelings")); len(rl) != 1 || get(rl[0], "targetLabel") != "cluster" {
		t.Errorf("ServiceMonitor relabelings = %v", rl)
	}
	if ml := list(get(ep, "metricRelabelings")); len(ml) != 1 || get(ml[0], "action") != "drop" {
		t.Errorf("ServiceMonitor metricRelabelings = %v", ml)
	}
	pe := list(get(mustFind(t, docs, "PodMonitor", ""), "spec", "podMetricsEndpoints"))[0]
	rl := list(get(pe, "relabelings"))
	// The built-in four (rollout, role, revision, namespace) stay first: the analysis needs them.
	if len(rl) != 5 || get(rl[0], "targetLabel") != "rollout" || get(rl[4], "targetLabel") != "cluster" {
		t.Errorf("PodMonitor relabelings = %v", rl)
	}
	if ml := list(get(pe, "metricRelabelings")); len(ml) != 1 || get(ml[0], "regex") != "python_.*" {
		t.Errorf("PodMonitor metricRelabelings = %v", ml)
	}
	docs = render(t, "--set", "metrics.serviceMonitor.enabled=true,modelServers.podMonitor.enabled=true")
	ep = list(get(mustFind(t, docs, "ServiceMonitor", ""), "spec", "endpoints"))[0]
	pe = list(get(mustFind(t, docs, "PodMonitor", ""), "spec", "podMetricsEndpoints"))[0]
	if get(ep, "relabelings") != nil || get(ep, "metricRelabelings") != nil ||
		get(pe, "metricRelabelings") != nil || len(list(get(pe, "relabelings"))) != 4 {
		t.Errorf("defaults: no extra relabelings expected: %v / %v", ep, pe)
	}
}

func TestKnobNamespaceOverride(t *testing.T) {
	docs := render(t, "--namespace", "release-ns", "--set",
		"namespaceOverride=mr-system,replicaCount=2,metrics.serviceMonitor.enabled=true,"+
			"modelServers.podMonitor.enabled=true,prometheusRule.enabled=true,analysis.secretNamespaces={ml}")
	for _, d := range docs {
		kind, ns := str(d["kind"]), str(get(d, "metadata", "namespace"))
		name := str(get(d, "metadata", "name"))
		if kind == "Role" && name == "modelrollout-analysis-secrets" || kind == "RoleBinding" && name == "modelrollout-analysis-secrets" {
			if ns != "ml" {
				t.Errorf("%s %s in %q, want ml", kind, name, ns)
			}
		} else if ns == "release-ns" {
			t.Errorf("%s %s is in the release namespace despite namespaceOverride", kind, name)
		}
		for _, s := range list(d["subjects"]) {
			if get(s, "namespace") != "mr-system" {
				t.Errorf("%s %s binds a ServiceAccount in %v", kind, name, get(s, "namespace"))
			}
		}
	}
	if !hasArg(args(t, docs), "--leader-election-namespace=mr-system") {
		t.Errorf("the Lease must live in the override namespace: %v", args(t, docs))
	}
	sm := mustFind(t, docs, "ServiceMonitor", "")
	if ns := list(get(sm, "spec", "namespaceSelector", "matchNames")); len(ns) != 1 || ns[0] != "mr-system" {
		t.Errorf("ServiceMonitor namespaceSelector = %v", ns)
	}
}

func TestKnobSchemaRejectsBadValues(t *testing.T) {
	for _, set := range []string{"extraArgs={workers=3}", "extraArgs={--Bad}", "namespaceOverride=Bad_NS",
		"crds.install=maybe", "crds.unknown=1", "rbac.aggregatedRoles.enabled=yes", "extraEnv[0].value=x",
		"extraVolumeMounts[0].name=x", "topologySpreadConstraints[0].maxSkew=1",
		"metrics.serviceMonitor.relabelings=x", "extraObjects={1}"} {
		_, errs, ok := renderRaw(t, "--set", set)
		if ok {
			t.Errorf("--set %s: rendered, want a schema error", set)
		} else if !strings.Contains(errs, "schema") {
			t.Errorf("--set %s: error does not come from the schema: %s", set, errs)
		}
	}
}
