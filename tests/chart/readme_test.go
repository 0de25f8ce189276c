// The chart README lists every value of values.yaml, and every value is in the schema.
package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

// lookup returns the value at a dotted key of values.yaml.
func lookup(values interface{}, key string) (interface{}, bool) {
	cur := values
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(obj)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func isString(v interface{}) bool {
	_, ok := v.(string)
	return ok
}

// asReadme renders a values.yaml value the way the README's default column writes it.
func asReadme(v interface{}) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		// A string YAML would read as another type is quoted, as in values.yaml.
		var typed interface{}
		if t == "" || (yaml.Unmarshal([]byte(t), &typed) == nil && fmt.Sprint(typed) == t &&
			!isString(typed)) {
			return `"` + t + `"`
		}
		return t
	case []interface{}:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = asReadme(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case obj:
		if len(t) == 0 {
			return "{}"
		}
		return fmt.Sprint(t)
	default:
		return fmt.Sprint(t)
	}
}

// The README's default column agrees with values.yaml wherever it quotes a value in backticks
// (prose defaults such as "non-root 65532" are descriptions, not values).
func TestReadmeDefaultsMatchValues(t *testing.T) {
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "charts/modelrollout/values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var raw interface{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	values := normalize(raw)
	readme, err := os.ReadFile(filepath.Join(root, "charts/modelrollout/README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([A-Za-z0-9_.]+)` \\| `([^`]*)` \\|")
	checked := 0
	for _, line := range strings.Split(string(readme), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, ok := lookup(values, m[1])
		if !ok {
			t.Errorf("README documents `%s`, which values.yaml does not have", m[1])
			continue
		}
		if got := asReadme(v); got != m[2] {
			t.Errorf("README says `%s` defaults to `%s`; values.yaml has `%s`", m[1], m[2], got)
		}
		checked++
	}
	if checked < 30 {
		t.Errorf("only %d README defaults checked; the row pattern is broken", checked)
	}
}
