// The template engine: Go text/template + sprig with the functions Helm 3 adds (include, tpl,
// required, toYaml, fromYaml, toJson, fromJson, lookup), Helm's missingkey=zero behaviour and
// its "<no value>" scrubbing. Not safe for concurrent use (include tracks recursion depth).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"text/template"

	sprig "github.com/Masterminds/sprig"
	yaml "gopkg.in/yaml.v2"
)

const maxIncludeDepth = 1000

// toYAML matches Helm: sigs.k8s.io/yaml (JSON first, then yaml.v2 with sorted keys), trailing
// newline removed, "" on error.
func toYAML(v interface{}) string {
	js, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var generic interface{}
	if err := yaml.Unmarshal(js, &generic); err != nil {
		return ""
	}
	out, err := yaml.Marshal(generic)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func fromYAML(s string) map[string]interface{} {
	v, err := yamlToJSONValue([]byte(s))
	if err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	m, _ := v.(map[string]interface{})
	if m == nil {
		m = map[string]interface{}{}
	}
	return m
}

func toJSON(v interface{}) string {
	js, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(js)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func required(msg string, v interface{}) (interface{}, error) {
	if v == nil {
		return v, errors.New(msg)
	}
	if s, ok := v.(string); ok && s == "" {
		return v, errors.New(msg)
	}
	return v, nil
}

// engine holds one parsed template set: every file of the chart's templates/ directory.
type engine struct {
	root     *template.Template
	depth    map[string]int
	basePath string
}

func (e *engine) funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["fromYaml"] = fromYAML
	f["toJson"] = toJSON
	f["fromJson"] = fromJSON
	f["required"] = required
	// helm template has no cluster: lookup finds nothing.
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	f["include"] = e.include
	f["tpl"] = e.tpl
	return f
}

func (e *engine) include(name string, data interface{}) (string, error) {
	if e.depth[name] > maxIncludeDepth {
		return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
	}
	e.depth[name]++
	defer func() { e.depth[name]-- }()
	var b strings.Builder
	if err := e.root.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// tpl renders a string as a template that can see the chart's named templates.
func (e *engine) tpl(text string, data interface{}) (string, error) {
	t, err := e.root.Clone()
	if err != nil {
		return "", err
	}
	t, err = t.New(path.Join(e.basePath, "tpl")).Parse(text)
	if err != nil {
		return "", fmt.Errorf("cannot parse template %q: %v", text, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
	}
	return strings.ReplaceAll(b.String(), "<no value>", ""), nil
}

// newEngine parses files (name -> text, names like "modelrollout/templates/x.yaml").
func newEngine(files map[string]string, basePath string) (*engine, error) {
	e := &engine{depth: map[string]int{}, basePath: basePath}
	e.root = template.New("gotpl").Option("missingkey=zero")
	funcs := e.funcMap()
	e.root.Funcs(funcs)
	for _, name := range sortedKeys(files) {
		if _, err := e.root.New(name).Funcs(funcs).Parse(files[name]); err != nil {
			return nil, fmt.Errorf("parse error in %s: %v", name, err)
		}
	}
	return e, nil
}

// render executes one file with its own .Template values, as Helm does.
func (e *engine) render(name string, top map[string]interface{}) (string, error) {
	data := make(map[string]interface{}, len(top)+1)
	for k, v := range top {
		data[k] = v
	}
	data["Template"] = map[string]interface{}{"Name": name, "BasePath": e.basePath}
	var b strings.Builder
	if err := e.root.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return strings.ReplaceAll(b.String(), "<no value>", ""), nil
}
