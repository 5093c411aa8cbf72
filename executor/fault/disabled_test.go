//go:build !faultinject

package fault

import (
	"strings"
	"testing"
)

// A default build must refuse a fault trigger instead of ignoring it.
func TestDefaultBuildRefusesTrigger(t *testing.T) {
	t.Parallel()
	if Enabled {
		t.Fatal("Enabled in a build without the faultinject tag")
	}
	if in, err := New("", nil); in != nil || err != nil {
		t.Errorf("New(\"\") = %v, %v", in, err)
	}
	in, err := New("/run/fault", nil)
	if in != nil || err == nil || !strings.Contains(err.Error(), "-tags faultinject") || !strings.Contains(err.Error(), EnvFile) {
		t.Errorf("New(path) = %v, %v; want a refusal naming %s and the build tag", in, err, EnvFile)
	}
}
