// .Files for templates, as Helm's engine exposes it: every file of the chart except Chart.yaml,
// Chart.lock, values.yaml, values.schema.json, requirements.{yaml,lock}, templates/ and
// charts/, keyed by its slash-separated path in the chart. Get, GetBytes, Lines and Glob
// behave as in helm.sh/helm/v3/pkg/engine/files.go (.helmignore is not read: the chart has none).
package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

type chartFiles map[string][]byte

var notInFiles = map[string]bool{"Chart.yaml": true, "Chart.lock": true, "values.yaml": true,
	"values.schema.json": true, "requirements.yaml": true, "requirements.lock": true}

func loadChartFiles(chartDir string) (chartFiles, error) {
	files := chartFiles{}
	err := filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(chartDir, p)
		rel = filepath.ToSlash(rel)
		if info.IsDir() {
			if rel == "templates" || rel == "charts" {
				return filepath.SkipDir
			}
			return nil
		}
		if notInFiles[rel] {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = data
		return nil
	})
	return files, err
}

func (f chartFiles) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return []byte{}
}

func (f chartFiles) Get(name string) string { return string(f.GetBytes(name)) }

func (f chartFiles) Lines(name string) []string {
	if len(f[name]) == 0 {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(string(f[name]), "\n"), "\n")
}

// globRegexp translates a gobwas-style glob with '/' separators: ** crosses directories,
// * and ? do not.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '*' && i+1 < len(pattern) && pattern[i+1] == '*':
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func (f chartFiles) Glob(pattern string) chartFiles {
	re := globRegexp(pattern)
	out := chartFiles{}
	for name, data := range f {
		if re.MatchString(name) {
			out[name] = data
		}
	}
	return out
}
