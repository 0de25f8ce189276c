// Turning rendered templates into `helm template` output: split documents on "---", drop empty
// ones, check each is YAML, and order them by Helm's install order (releaseutil.InstallOrder).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	yaml "gopkg.in/yaml.v2"
)

var installOrder = []string{"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota",
	"LimitRange", "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret",
	"SecretList", "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService"}

var docSeparator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

type manifest struct {
	source, kind, content string
}

func readTree(dir, prefix string, exts ...string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		ok := len(exts) == 0
		for _, e := range exts {
			ok = ok || strings.HasSuffix(p, e)
		}
		if !ok {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[prefix+"/"+filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if os.IsNotExist(err) {
		return files, nil
	}
	return files, err
}

func renderChart(chartDir, chartName string, top map[string]interface{}, includeCRDs bool) (string, error) {
	templates, err := readTree(filepath.Join(chartDir, "templates"), chartName+"/templates")
	if err != nil {
		return "", err
	}
	eng, err := newEngine(templates, chartName+"/templates")
	if err != nil {
		return "", err
	}
	var manifests []manifest
	for _, name := range sortedKeys(templates) {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		text, err := eng.render(name, top)
		if err != nil {
			return "", err
		}
		if base == "NOTES.txt" || strings.TrimSpace(text) == "" {
			continue
		}
		for _, doc := range docSeparator.Split(strings.TrimSpace(text), -1) {
			doc = strings.TrimSpace(doc)
			if doc == "" {
				continue
			}
			var head yamlHead
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				return "", fmt.Errorf("YAML parse error on %s: %v", name, err)
			}
			manifests = append(manifests, manifest{source: name, kind: head.Kind, content: doc})
		}
	}
	sortByInstallOrder(manifests)

	var b strings.Builder
	if includeCRDs {
		crds, err := readTree(filepath.Join(chartDir, "crds"), chartName+"/crds", ".yaml", ".yml", ".json")
		if err != nil {
			return "", err
		}
		for _, name := range sortedKeys(crds) {
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", name, crds[name])
		}
	}
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.source, m.content)
	}
	return b.String(), nil
}

// sortByInstallOrder is Helm's kind sorter: known kinds in order, unknown kinds last and
// alphabetically, original order kept within a kind.
func sortByInstallOrder(ms []manifest) {
	rank := map[string]int{}
	for i, k := range installOrder {
		rank[k] = i
	}
	sort.SliceStable(ms, func(i, j int) bool {
		ri, iok := rank[ms[i].kind]
		rj, jok := rank[ms[j].kind]
		switch {
		case !iok && !jok:
			return ms[i].kind < ms[j].kind
		case !iok:
			return false
		case !jok:
			return true
		}
		return ri < rj
	})
}

// yamlHead is what Helm reads from each manifest to sort it.
type yamlHead struct {
	Kind string `yaml:"kind"`
}
