package main

import (
	"maps"
	"testing"
)

func TestQuietUnshownLogs(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"nothing set: both off", map[string]string{},
			map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_PROVIDER": "OFF", "TF_LOG_PROVIDER_MISSIONCONTROL": "OFF"}},
		{"TF_LOG shows provider logs", map[string]string{"TF_LOG": "DEBUG"},
			map[string]string{"TF_LOG": "DEBUG"}},
		{"TF_LOG_PROVIDER shows them", map[string]string{"TF_LOG_PROVIDER": "TRACE"},
			map[string]string{"TF_LOG_PROVIDER": "TRACE"}},
		{"an explicit SDK level is kept", map[string]string{"TF_LOG_SDK": "INFO"},
			map[string]string{"TF_LOG_SDK": "INFO", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_PROVIDER": "OFF", "TF_LOG_PROVIDER_MISSIONCONTROL": "OFF"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			quietUnshownLogs(providerType, func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if !maps.Equal(env, tc.want) {
				t.Errorf("env = %v, want %v", env, tc.want)
			}
		})
	}
}
