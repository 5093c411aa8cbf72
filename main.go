// Command terraform-provider-missioncontrol is the missioncontrol Terraform
// provider. Terraform starts it; run it with -debug to attach a debugger
// and print TF_REATTACH_PROVIDERS.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/provider"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/missioncontrol/missioncontrol",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
