package main

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"text/template"

	"gopkg.in/yaml.v3"
)

// goreleaserFile is the part of .goreleaser.yml the Terraform Registry
// depends on; decoding with KnownFields rejects any other (misspelled) key.
type goreleaserFile struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		Env          []string `yaml:"env"`
		Main         string   `yaml:"main"`
		ModTimestamp string   `yaml:"mod_timestamp"`
		Flags        []string `yaml:"flags"`
		Ldflags      []string `yaml:"ldflags"`
		Goos         []string `yaml:"goos"`
		Goarch       []string `yaml:"goarch"`
		Ignore       []struct {
			Goos   string `yaml:"goos"`
			Goarch string `yaml:"goarch"`
		} `yaml:"ignore"`
		Binary string `yaml:"binary"`
	} `yaml:"builds"`
	Archives []struct {
		Formats      []string `yaml:"formats"`
		NameTemplate string   `yaml:"name_template"`
	} `yaml:"archives"`
	Checksum struct {
		ExtraFiles   []extraFile `yaml:"extra_files"`
		NameTemplate string      `yaml:"name_template"`
		Algorithm    string      `yaml:"algorithm"`
	} `yaml:"checksum"`
	Signs []struct {
		Artifacts string   `yaml:"artifacts"`
		Args      []string `yaml:"args"`
	} `yaml:"signs"`
	Release struct {
		ExtraFiles []extraFile `yaml:"extra_files"`
	} `yaml:"release"`
	Changelog struct {
		Disable bool `yaml:"disable"`
	} `yaml:"changelog"`
}

type extraFile struct {
	Glob         string `yaml:"glob"`
	NameTemplate string `yaml:"name_template"`
}

// render expands a goreleaser name template (Go text/template) for release
// 1.2.3 on linux/amd64.
func render(t *testing.T, field, text string) string {
	t.Helper()
	tmpl, err := template.New(field).Option("missingkey=error").Parse(text)
	if err != nil {
		t.Fatalf("%s: %v", field, err)
	}
	var b bytes.Buffer
	data := map[string]any{
		"ProjectName": "terraform-provider-missioncontrol", "Version": "1.2.3", "Os": "linux", "Arch": "amd64",
		"Commit": "abc123", "CommitTimestamp": "1700000000", "Env": map[string]string{"GPG_FINGERPRINT": "ABCD"},
	}
	if err := tmpl.Execute(&b, data); err != nil {
		t.Fatalf("%s: %v", field, err)
	}
	return b.String()
}

// TestGoreleaserConfig checks that .goreleaser.yml produces what the
// Terraform Registry requires of a provider release: zips named
// <project>_<version>_<os>_<arch>.zip holding <project>_v<version>, a
// <project>_<version>_SHA256SUMS file with a detached GPG signature, and the
// registry manifest shipped as <project>_<version>_manifest.json. goreleaser
// itself is not installable here (its module graph is too large for this
// machine's CI budget), so the test reads the file the way goreleaser would.
func TestGoreleaserConfig(t *testing.T) {
	src, err := os.ReadFile(".goreleaser.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg goreleaserFile
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf(".goreleaser.yml: %v", err)
	}
	if cfg.Version != 2 || cfg.ProjectName != "terraform-provider-missioncontrol" {
		t.Errorf("version %d, project_name %q: want 2 and terraform-provider-missioncontrol", cfg.Version, cfg.ProjectName)
	}

	if len(cfg.Builds) != 1 {
		t.Fatalf("%d builds, want exactly the provider's", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("builds[0].env %v lacks CGO_ENABLED=0", b.Env)
	}
	if b.Main != "." {
		t.Errorf("builds[0].main = %q, want . (the provider's main.go)", b.Main)
	}
	if got := render(t, "binary", b.Binary); got != "terraform-provider-missioncontrol_v1.2.3" {
		t.Errorf("binary renders as %q, want terraform-provider-missioncontrol_v1.2.3", got)
	}
	if len(b.Ldflags) == 0 || !strings.Contains(render(t, "ldflags", b.Ldflags[0]), "-X main.version=1.2.3") {
		t.Errorf("ldflags %v do not set main.version", b.Ldflags)
	}
	mainSrc, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(mainSrc, []byte("var version = ")) {
		t.Error("main.go has no `var version` for -X main.version to set")
	}
	for _, os := range []string{"linux", "darwin", "windows", "freebsd"} {
		if !slices.Contains(b.Goos, os) {
			t.Errorf("goos %v lacks %s", b.Goos, os)
		}
	}
	for _, arch := range []string{"amd64", "arm64"} {
		if !slices.Contains(b.Goarch, arch) {
			t.Errorf("goarch %v lacks %s", b.Goarch, arch)
		}
	}

	if len(cfg.Archives) != 1 || !slices.Equal(cfg.Archives[0].Formats, []string{"zip"}) {
		t.Fatalf("archives %+v: want one zip archive", cfg.Archives)
	}
	if got := render(t, "archives.name_template", cfg.Archives[0].NameTemplate); got != "terraform-provider-missioncontrol_1.2.3_linux_amd64" {
		t.Errorf("archive name renders as %q", got)
	}

	if cfg.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum.algorithm = %q, want sha256", cfg.Checksum.Algorithm)
	}
	if got := render(t, "checksum.name_template", cfg.Checksum.NameTemplate); got != "terraform-provider-missioncontrol_1.2.3_SHA256SUMS" {
		t.Errorf("checksum file renders as %q", got)
	}
	for field, files := range map[string][]extraFile{"checksum.extra_files": cfg.Checksum.ExtraFiles, "release.extra_files": cfg.Release.ExtraFiles} {
		if len(files) != 1 || files[0].Glob != "terraform-registry-manifest.json" {
			t.Errorf("%s %+v: want terraform-registry-manifest.json", field, files)
			continue
		}
		if got := render(t, field, files[0].NameTemplate); got != "terraform-provider-missioncontrol_1.2.3_manifest.json" {
			t.Errorf("%s renders as %q", field, got)
		}
	}
	var manifest struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	mf, err := os.ReadFile("terraform-registry-manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mf, &manifest); err != nil {
		t.Fatalf("terraform-registry-manifest.json: %v", err)
	}
	// providerserver.Serve speaks protocol 6 (terraform-plugin-framework).
	if manifest.Version != 1 || !slices.Equal(manifest.Metadata.ProtocolVersions, []string{"6.0"}) {
		t.Errorf("manifest %+v: want version 1, protocol_versions [6.0]", manifest)
	}

	if len(cfg.Signs) != 1 || cfg.Signs[0].Artifacts != "checksum" {
		t.Fatalf("signs %+v: want one signature over the checksum file", cfg.Signs)
	}
	args := cfg.Signs[0].Args
	for _, want := range []string{"--batch", "--detach-sign", "${signature}", "${artifact}"} {
		if !slices.Contains(args, want) {
			t.Errorf("signs[0].args %v lack %s", args, want)
		}
	}
	if i := slices.Index(args, "--local-user"); i < 0 || i+1 >= len(args) || render(t, "signs.args", args[i+1]) != "ABCD" {
		t.Errorf("signs[0].args %v: --local-user must name {{ .Env.GPG_FINGERPRINT }}", args)
	}
}
