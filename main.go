// Command terraform-provider-missioncontrol is the missioncontrol Terraform
// provider. Terraform starts it; run it with -debug to attach a debugger
// and print TF_REATTACH_PROVIDERS.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/provider"
)

// providerType is the provider's type name, the last part of its address.
const providerType = "missioncontrol"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "run with support for debuggers like delve")
	flag.Parse()
	quietUnshownLogs(providerType, os.Getenv, os.Setenv)
	if os.Getenv("GOGC") == "" {
		// A plugin lives for one Terraform operation with a heap of a few
		// MiB that it churns per request: the default GC target made
		// collection a quarter of a plan's provider CPU.
		debug.SetGCPercent(400)
	}

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/missioncontrol/" + providerType,
		Debug:   debugMode,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietUnshownLogs turns the plugin SDK's and the provider's loggers off when
// Terraform would discard their output anyway: Terraform shows provider logs
// only when TF_LOG or TF_LOG_PROVIDER is set, but the SDK logs at TRACE
// unless told otherwise, and both sides then pay for every line (JSON
// encoding here, decoding in Terraform): about a third of the CPU of a
// no-change plan (BENCHMARKS.md). The SDK's subsystems are named too, since
// only their own level lets them skip a line before building it, and so is
// the provider's own logger (tflog): the SDK reads its level from
// TF_LOG_PROVIDER_<TYPE>, not TF_LOG_PROVIDER. Levels set explicitly are
// left alone.
func quietUnshownLogs(typ string, getenv func(string) string, setenv func(string, string) error) {
	if getenv("TF_LOG") != "" || getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	own := "TF_LOG_PROVIDER_" + strings.ToUpper(strings.ReplaceAll(typ, "-", "_"))
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_PROTO", "TF_LOG_PROVIDER", own} {
		if getenv(name) == "" {
			_ = setenv(name, "OFF")
		}
	}
}
