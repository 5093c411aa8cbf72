package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// THREAT_MODEL.md names, for every threat, the tests that cover it. This
// keeps the document honest: each named test or fuzz target must exist in
// some _test.go file, and every threat row must name at least one.
func TestThreatModelTestsExist(t *testing.T) {
	doc, err := os.ReadFile("THREAT_MODEL.md")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	funcRE := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`)
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range funcRE.FindAllSubmatch(b, -1) {
				defined[string(m[1])] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	nameRE := regexp.MustCompile("`((?:Test|Fuzz)[A-Za-z0-9_]+)`")
	// The threat tables are the section "## Threats ...": rows of
	// | threat | mitigation | tests |.
	_, section, ok := strings.Cut(string(doc), "\n## Threats")
	if !ok {
		t.Fatal(`THREAT_MODEL.md has no "## Threats" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows, named := 0, 0
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 5 || strings.Contains(cells[1], "---") || strings.TrimSpace(cells[3]) == "tests" {
			continue
		}
		rows++
		tests := nameRE.FindAllStringSubmatch(cells[3], -1)
		if len(tests) == 0 {
			t.Errorf("threat %q names no test", strings.TrimSpace(cells[1]))
		}
		for _, m := range tests {
			named++
			if !defined[m[1]] {
				t.Errorf("threat %q names %s, which no _test.go defines", strings.TrimSpace(cells[1]), m[1])
			}
		}
	}
	if rows < 20 {
		t.Errorf("found %d threat rows, want the document's tables (at least 20)", rows)
	}
	t.Logf("%d threats, %d test references, all defined", rows, named)
}
