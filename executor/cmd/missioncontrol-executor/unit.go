package main

import (
	"github.com/spf13/cobra"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/plan"
)

func newUnitCmd() *cobra.Command {
	unit := &cobra.Command{
		Use:   "unit",
		Short: "Show the systemd units the executor installs",
	}
	var cfgPath string
	template := &cobra.Command{
		Use:   "template",
		Short: "Print the gateway template unit the configuration renders",
		Long: "Prints missioncontrol-gateway@.service exactly as `serve` installs it into systemd.unit_dir " +
			"at start (the package ships the same rendering of its default configuration). Reads only the configuration.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(plan.Renderer{Config: cfg}.UnitTemplate())
			return err
		},
	}
	template.Flags().StringVar(&cfgPath, "config", "/etc/missioncontrol/executor.hcl", "executor configuration file (HCL)")
	unit.AddCommand(template)
	return unit
}
