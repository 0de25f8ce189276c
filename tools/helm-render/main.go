// helm-render: renders a Helm 3 chart like `helm template` for machines without helm.
// It supports what our chart uses (see engine.go and values.go) and prints the same
// multi-document YAML as `helm template NAME CHART --include-crds`: CRDs first, then each
// manifest with a "# Source:" comment, ordered by Helm's install order.
//
// Usage: helm-render [--chart DIR] [--release NAME] [--namespace NS] [--include-crds]
//
//	[--set k=v]... [--set-string k=v]... [-f values.yaml]...
//	[--kube-version v1.32.0] [--api-versions group/version]...
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// apiVersions mirrors chartutil.VersionSet: templates call .Capabilities.APIVersions.Has.
type apiVersions []string

func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

type kubeVersion struct{ Version, Major, Minor, GitVersion string }

func (k kubeVersion) String() string { return k.Version }

type capabilities struct {
	KubeVersion kubeVersion
	APIVersions apiVersions
	HelmVersion map[string]string
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "Error: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	var sets, setStrings, valueFiles, extraAPIs multiFlag
	chartDir := flag.String("chart", "charts/modelrollout", "chart directory")
	release := flag.String("release", "modelrollout", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	includeCRDs := flag.Bool("include-crds", false, "print the chart's crds/ first")
	kubeVer := flag.String("kube-version", "v1.32.0", "Kubernetes version for .Capabilities")
	flag.Var(&sets, "set", "set a value (repeatable)")
	flag.Var(&setStrings, "set-string", "set a string value (repeatable)")
	flag.Var(&valueFiles, "f", "values file (repeatable)")
	flag.Var(&valueFiles, "values", "values file (repeatable)")
	flag.Var(&extraAPIs, "api-versions", "extra API version for .Capabilities (repeatable)")
	flag.Parse()

	chartMeta, err := readValuesFile(filepath.Join(*chartDir, "Chart.yaml"))
	if err != nil {
		die("%v", err)
	}
	chartName, _ := chartMeta["name"].(string)
	if chartName == "" {
		die("Chart.yaml has no name")
	}
	caps, err := makeCapabilities(*kubeVer, extraAPIs)
	if err != nil {
		die("%v", err)
	}
	if c, ok := chartMeta["kubeVersion"].(string); ok && c != "" {
		constraint, err := semver.NewConstraint(c)
		if err != nil {
			die("Chart.yaml kubeVersion: %v", err)
		}
		if !constraint.Check(semver.MustParse(caps.KubeVersion.Version)) {
			die("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", c, caps.KubeVersion.Version)
		}
	}

	values, err := buildValues(*chartDir, valueFiles, sets, setStrings)
	if err != nil {
		die("%v", err)
	}
	top := map[string]interface{}{
		"Values": values,
		"Chart":  helmChartFields(chartMeta),
		"Release": map[string]interface{}{
			"Name": *release, "Namespace": *namespace, "Service": "Helm",
			"Revision": 1, "IsInstall": true, "IsUpgrade": false,
		},
		"Capabilities": caps,
		"Files":        chartFiles{*chartDir},
		"Subcharts":    map[string]interface{}{},
	}
	out, err := renderChart(*chartDir, chartName, top, *includeCRDs)
	if err != nil {
		die("%v", err)
	}
	fmt.Print(out)
}

func makeCapabilities(version string, extra []string) (capabilities, error) {
	v, err := semver.NewVersion(version)
	if err != nil {
		return capabilities{}, fmt.Errorf("--kube-version %q: %v", version, err)
	}
	apis := apiVersions{"v1", "apps/v1", "batch/v1", "policy/v1", "rbac.authorization.k8s.io/v1",
		"coordination.k8s.io/v1", "apiextensions.k8s.io/v1", "networking.k8s.io/v1",
		"autoscaling/v2", "events.k8s.io/v1"}
	apis = append(apis, extra...)
	return capabilities{
		KubeVersion: kubeVersion{Version: "v" + v.String(), GitVersion: "v" + v.String(),
			Major: fmt.Sprint(v.Major()), Minor: fmt.Sprint(v.Minor())},
		APIVersions: apis,
		HelmVersion: map[string]string{"Version": "helm-render"},
	}, nil
}

// helmChartFields exposes Chart.yaml under Helm's Go field names (.Chart.AppVersion, ...).
func helmChartFields(meta map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range meta {
		name := strings.ToUpper(k[:1]) + k[1:]
		if k == "apiVersion" {
			name = "APIVersion"
		}
		out[name] = v
	}
	return out
}

func buildValues(chartDir string, files, sets, setStrings []string) (map[string]interface{}, error) {
	defaults, err := readValuesFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	user := map[string]interface{}{}
	for _, f := range files {
		m, err := readValuesFile(f)
		if err != nil {
			return nil, err
		}
		user = mergeMaps(user, m)
	}
	for _, s := range sets {
		if err := applySet(user, s, false); err != nil {
			return nil, err
		}
	}
	for _, s := range setStrings {
		if err := applySet(user, s, true); err != nil {
			return nil, err
		}
	}
	values := coalesce(user, defaults)
	schemaText, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err == nil {
		var schema map[string]interface{}
		if err := json.Unmarshal(schemaText, &schema); err != nil {
			return nil, fmt.Errorf("values.schema.json: %v", err)
		}
		if errs := validateSchema(schema, values); len(errs) > 0 {
			return nil, fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n- %s",
				filepath.Base(chartDir), strings.Join(errs, "\n- "))
		}
	}
	return values, nil
}

// chartFiles is Helm's .Files for the renderer: Get returns a file of the chart (a path
// relative to the chart directory) as a string, "" when it cannot be read, as Helm does.
type chartFiles struct{ dir string }

func (f chartFiles) Get(name string) string {
	data, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(name)))
	if err != nil {
		return ""
	}
	return string(data)
}
