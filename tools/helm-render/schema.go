// A small JSON Schema (draft-07 subset) validator for values.schema.json: type, enum, const,
// required, properties, additionalProperties, items, minimum/maximum, minLength, pattern,
// minItems, anyOf/oneOf. Helm validates the full draft with gojsonschema; the chart's schema
// uses only these keywords (the chart test asserts so), so both accept and reject the same values.
package main

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

var supportedSchemaKeys = map[string]bool{
	"$schema": true, "title": true, "description": true, "type": true, "enum": true,
	"const": true, "required": true, "properties": true, "additionalProperties": true,
	"items": true, "minimum": true, "maximum": true, "minLength": true, "pattern": true,
	"minItems": true, "anyOf": true, "oneOf": true, "default": true, "examples": true,
}

func asNumber(v interface{}) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	}
	return 0, false
}

func typeMatches(t string, v interface{}) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := asNumber(v)
		return ok
	case "integer":
		n, ok := asNumber(v)
		return ok && n == math.Trunc(n)
	case "object":
		_, ok := v.(map[string]interface{})
		return ok
	case "array":
		_, ok := v.([]interface{})
		return ok
	}
	return false
}

// validateSchema returns one message per violation, sorted, empty when valid.
func validateSchema(schema map[string]interface{}, v interface{}) []string {
	var errs []string
	validateAt(schema, v, "(root)", &errs)
	sort.Strings(errs)
	return errs
}

func validateAt(s map[string]interface{}, v interface{}, at string, errs *[]string) {
	fail := func(format string, args ...interface{}) {
		*errs = append(*errs, at+": "+fmt.Sprintf(format, args...))
	}
	for k := range s {
		if !supportedSchemaKeys[k] {
			fail("schema keyword %q is not supported by this renderer", k)
		}
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch tt := t.(type) {
		case string:
			types = []string{tt}
		case []interface{}:
			for _, x := range tt {
				types = append(types, fmt.Sprint(x))
			}
		}
		matched := false
		for _, ty := range types {
			matched = matched || typeMatches(ty, v)
		}
		if !matched {
			fail("Invalid type. Expected: %s, given: %T", strings.Join(types, " or "), v)
			return
		}
	}
	if enum, ok := s["enum"].([]interface{}); ok {
		found := false
		for _, e := range enum {
			found = found || jsonEqual(e, v)
		}
		if !found {
			fail("must be one of %v", enum)
		}
	}
	if c, ok := s["const"]; ok && !jsonEqual(c, v) {
		fail("must be %v", c)
	}
	if n, ok := asNumber(v); ok {
		if min, ok := asNumber(s["minimum"]); ok && n < min {
			fail("must be >= %v", min)
		}
		if max, ok := asNumber(s["maximum"]); ok && n > max {
			fail("must be <= %v", max)
		}
	}
	if str, ok := v.(string); ok {
		if min, ok := asNumber(s["minLength"]); ok && float64(len(str)) < min {
			fail("length must be >= %v", min)
		}
		if p, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err != nil || !re.MatchString(str) {
				fail("does not match pattern %q", p)
			}
		}
	}
	if list, ok := v.([]interface{}); ok {
		if min, ok := asNumber(s["minItems"]); ok && float64(len(list)) < min {
			fail("must have at least %v items", min)
		}
		if items, ok := s["items"].(map[string]interface{}); ok {
			for i, item := range list {
				validateAt(items, item, fmt.Sprintf("%s.%d", at, i), errs)
			}
		}
	}
	if obj, ok := v.(map[string]interface{}); ok {
		validateObject(s, obj, at, errs)
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		alts, ok := s[key].([]interface{})
		if !ok {
			continue
		}
		passing := 0
		for _, alt := range alts {
			var sub []string
			if am, ok := alt.(map[string]interface{}); ok {
				validateAt(am, v, at, &sub)
			}
			if len(sub) == 0 {
				passing++
			}
		}
		if passing == 0 || (key == "oneOf" && passing > 1) {
			fail("must match %s %s of the alternatives", map[string]string{"anyOf": "at least one", "oneOf": "exactly one"}[key], key)
		}
	}
}

func validateObject(s map[string]interface{}, obj map[string]interface{}, at string, errs *[]string) {
	props, _ := s["properties"].(map[string]interface{})
	if req, ok := s["required"].([]interface{}); ok {
		for _, r := range req {
			if _, present := obj[fmt.Sprint(r)]; !present {
				*errs = append(*errs, fmt.Sprintf("%s: %v is required", at, r))
			}
		}
	}
	for k, val := range obj {
		if ps, ok := props[k].(map[string]interface{}); ok {
			validateAt(ps, val, at+"."+k, errs)
			continue
		}
		switch ap := s["additionalProperties"].(type) {
		case bool:
			if !ap {
				*errs = append(*errs, fmt.Sprintf("%s: Additional property %s is not allowed", at, k))
			}
		case map[string]interface{}:
			validateAt(ap, val, at+"."+k, errs)
		}
	}
}

func jsonEqual(a, b interface{}) bool {
	if an, ok := asNumber(a); ok {
		bn, ok := asNumber(b)
		return ok && an == bn
	}
	return reflect.DeepEqual(a, b)
}
