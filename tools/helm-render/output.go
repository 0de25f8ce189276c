// Turning rendered templates into `helm template` output: split documents on "---", drop empty
// ones, check each is YAML, set hooks (helm.sh/hook annotation) apart, and print the CRDs of
// crds/ (with --include-crds), then the manifests, then the hooks, each group ordered by Helm's
// install order (releaseutil.SortManifests, action.renderResources and cmd/helm/template.go).
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

// Hook events Helm knows (release.HookEvent, plus Helm 2's test-success). A document whose
// helm.sh/hook names any other event is dropped, as Helm does ("skipping unknown hook").
var hookEvents = map[string]bool{"pre-install": true, "post-install": true, "pre-delete": true,
	"post-delete": true, "pre-upgrade": true, "post-upgrade": true, "pre-rollback": true,
	"post-rollback": true, "test": true, "test-success": true}

// hookKind classifies a document: a plain manifest, a hook, or an unknown hook to drop.
func hookKind(head yamlHead) (isHook, drop bool) {
	events, ok := head.Metadata.Annotations["helm.sh/hook"]
	if !ok {
		return false, false
	}
	for _, e := range strings.Split(events, ",") {
		if !hookEvents[strings.ToLower(strings.TrimSpace(e))] {
			return true, true
		}
	}
	return true, false
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
	var manifests, hooks []manifest
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
			m := manifest{source: name, kind: head.Kind, content: doc}
			switch isHook, drop := hookKind(head); {
			case drop:
				fmt.Fprintf(os.Stderr, "info: skipping unknown hook: %q\n", head.Metadata.Annotations["helm.sh/hook"])
			case isHook:
				hooks = append(hooks, m)
			default:
				manifests = append(manifests, m)
			}
		}
	}
	sortByInstallOrder(manifests)
	sortByInstallOrder(hooks)

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
	// template.go prints the trimmed release manifest, then each hook.
	out := strings.TrimSpace(b.String()) + "\n"
	for _, h := range hooks {
		out += fmt.Sprintf("---\n# Source: %s\n%s\n", h.source, h.content)
	}
	return out, nil
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

// yamlHead is what Helm reads from each manifest to sort it (releaseutil.SimpleHead).
type yamlHead struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
}
