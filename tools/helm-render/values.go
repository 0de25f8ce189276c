// Values handling the way Helm 3 does it: YAML files decoded through JSON (numbers become
// float64), -f files merged in order, --set parsed with Helm's typing rules (int64, bool, null),
// then coalesced over the chart's values.yaml where a null override deletes a default.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	yaml "gopkg.in/yaml.v2"
)

// toJSONCompatible turns yaml.v2's map[interface{}]interface{} into map[string]interface{}.
func toJSONCompatible(v interface{}) (interface{}, error) {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, val := range t {
			c, err := toJSONCompatible(val)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = c
		}
		return m, nil
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, val := range t {
			c, err := toJSONCompatible(val)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	default:
		return v, nil
	}
}

// yamlToJSONValue decodes YAML like sigs.k8s.io/yaml.Unmarshal: via JSON, so every number is a
// float64, exactly what Helm templates see.
func yamlToJSONValue(data []byte) (interface{}, error) {
	var raw interface{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	compat, err := toJSONCompatible(raw)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(compat)
	if err != nil {
		return nil, err
	}
	var out interface{}
	if err := json.Unmarshal(js, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func readValuesFile(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := yamlToJSONValue(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if v == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s: values must be a mapping", path)
	}
	return m, nil
}

// mergeMaps is Helm's merge of successive -f files: later maps win, maps merge recursively.
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if vm, ok := v.(map[string]interface{}); ok {
			if om, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(om, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// coalesce fills user values with chart defaults; a user null removes the default.
func coalesce(user, defaults map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(user))
	for k, v := range user {
		out[k] = v
	}
	for k, dv := range defaults {
		uv, present := out[k]
		if !present {
			out[k] = dv
			continue
		}
		if uv == nil {
			delete(out, k)
			continue
		}
		um, uok := uv.(map[string]interface{})
		dm, dok := dv.(map[string]interface{})
		if uok && dok {
			out[k] = coalesce(um, dm)
		}
	}
	return out
}

// typedSetValue follows Helm's strvals typing for --set.
func typedSetValue(s string) interface{} {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	case "0":
		return int64(0)
	}
	if len(s) > 0 && s[0] != '0' {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	}
	return s
}

// splitUnescaped splits on sep outside {} and not preceded by a backslash.
func splitUnescaped(s string, sep byte) []string {
	var parts []string
	var cur strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
			continue
		case c == '{':
			depth++
		case c == '}':
			depth--
		case c == sep && depth == 0:
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(parts, cur.String())
}

// applySet parses one --set argument ("a.b=1,c={x,y},d[0]=z") into vals.
func applySet(vals map[string]interface{}, arg string, asString bool) error {
	for _, kv := range splitUnescaped(arg, ',') {
		eq := strings.IndexByte(kv, '=')
		if eq <= 0 {
			return fmt.Errorf("--set %q: expected key=value", kv)
		}
		key, raw := kv[:eq], kv[eq+1:]
		var val interface{}
		if !asString && strings.HasPrefix(raw, "{") && strings.HasSuffix(raw, "}") {
			var list []interface{}
			if inner := raw[1 : len(raw)-1]; inner != "" {
				for _, item := range splitUnescaped(inner, ',') {
					list = append(list, typedSetValue(item))
				}
			}
			val = list
		} else if asString {
			val = raw
		} else {
			val = typedSetValue(raw)
		}
		if err := setPath(vals, strings.Split(key, "."), val); err != nil {
			return fmt.Errorf("--set %q: %v", kv, err)
		}
	}
	return nil
}

func setPath(m map[string]interface{}, path []string, val interface{}) error {
	name, index := path[0], -1
	if open := strings.IndexByte(name, '['); open > 0 && strings.HasSuffix(name, "]") {
		i, err := strconv.Atoi(name[open+1 : len(name)-1])
		if err != nil || i < 0 {
			return fmt.Errorf("bad index in %q", name)
		}
		name, index = name[:open], i
	}
	if index >= 0 {
		list, _ := m[name].([]interface{})
		for len(list) <= index {
			list = append(list, nil)
		}
		if len(path) == 1 {
			list[index] = val
		} else {
			child, ok := list[index].(map[string]interface{})
			if !ok {
				child = map[string]interface{}{}
			}
			if err := setPath(child, path[1:], val); err != nil {
				return err
			}
			list[index] = child
		}
		m[name] = list
		return nil
	}
	if len(path) == 1 {
		m[name] = val
		return nil
	}
	child, ok := m[name].(map[string]interface{})
	if !ok {
		child = map[string]interface{}{}
		m[name] = child
	}
	return setPath(child, path[1:], val)
}
