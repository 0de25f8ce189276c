// The chart README lists every value of values.yaml, and every value is in the schema.
package chart

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	yaml "gopkg.in/yaml.v2"
)

// leafKeys flattens values.yaml to dotted keys; empty maps and lists count as leaves.
func leafKeys(prefix string, v interface{}, out *[]string) {
	m, ok := v.(obj)
	if !ok || len(m) == 0 {
		*out = append(*out, prefix)
		return
	}
	for k, child := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		// Security contexts and resources are documented as whole blocks.
		if key == "podSecurityContext" || key == "securityContext" || key == "resources" {
			*out = append(*out, key)
			continue
		}
		leafKeys(key, child, out)
	}
}

func TestReadmeListsEveryValue(t *testing.T) {
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "charts/modelrollout/values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var raw interface{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	var keys []string
	leafKeys("", normalize(raw), &keys)
	sort.Strings(keys)
	readme, err := os.ReadFile(filepath.Join(root, "charts/modelrollout/README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.Contains(string(readme), "`"+k+"`") {
			t.Errorf("chart README does not list `%s`", k)
		}
	}
	if len(keys) < 30 {
		t.Errorf("only %d value keys found; flattening is broken", len(keys))
	}
}
