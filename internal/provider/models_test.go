package provider

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
)

// modelDiff compares two resource models attribute by attribute with the
// framework's own equality, and returns the differences, one per line.
func modelDiff(want, got any) string {
	var b strings.Builder
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := range wv.NumField() {
		w, ok := wv.Field(i).Interface().(attr.Value)
		if !ok {
			continue
		}
		g := gv.Field(i).Interface().(attr.Value)
		if wv.Type().Field(i).Name == "Timeouts" {
			continue
		}
		if !w.Equal(g) {
			fmt.Fprintf(&b, "%s: want %s, got %s\n", wv.Type().Field(i).Name, w, g)
		}
	}
	return b.String()
}

func checkModel(t *testing.T, want, got any) {
	t.Helper()
	if diff := modelDiff(want, got); diff != "" {
		t.Errorf("model differs:\n%s", diff)
	}
}
