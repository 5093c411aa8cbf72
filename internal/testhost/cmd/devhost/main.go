// Command devhost boots a throwaway host for trying missioncontrol without
// touching this machine (`make dev-host`): real systemd, the sudo seed, and
// the executor built from this module running inside as a unit with the
// example configuration and policy. The host stays up after devhost exits.
//
// stdout carries only the environment, one KEY=value per line, followed by
// an export line, so that
//
//	eval "$(make -s dev-host)"
//
// is all a user needs before terraform apply. Everything else goes to
// stderr. `devhost -down-all` tears down every throwaway host (stale ones
// after a crash).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

func main() {
	downAll := flag.Bool("down-all", false, "tear down every throwaway host and exit")
	pkg := flag.String("executor-package", testhost.ExecutorPackage,
		"Go package (relative to the module root) built and run as the executor")
	light := flag.Bool("light", false, "run tenants' gateways as a light stand-in command instead of real OpenClaw gateways")
	fakeLLM := flag.Bool("fake-llm", false, "also run the fake LLM (a test double of a paid model API) inside the host on "+testhost.FakeLLMAddr)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	var err error
	if *downAll {
		err = testhost.TeardownAll(ctx)
	} else {
		err = run(ctx, os.Stdout, os.Stderr, *pkg, !*light, *fakeLLM)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, stdout, stderr io.Writer, pkg string, realGateway, fakeLLM bool) error {
	if err := testhost.Available(); err != nil {
		return fmt.Errorf("dev-host: %w", err)
	}
	start := time.Now()
	seed, err := testhost.SudoSeed(ctx)
	if err != nil {
		return err
	}
	h, err := testhost.Start(ctx, testhost.Options{Seeds: []string{seed}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "dev-host: throwaway host %s booted in %v (share %s)\n",
		h.Name, h.BootTime.Round(time.Millisecond), h.Share)
	e, err := testhost.StartExecutor(ctx, h, testhost.ExecutorOptions{Package: pkg, Log: stderr, RealGateway: realGateway})
	if err != nil {
		if cerr := h.Close(); cerr != nil {
			fmt.Fprintln(stderr, "dev-host:", cerr)
		}
		return err
	}
	fmt.Fprintf(stderr, "dev-host: executor listening on %s (ready after %v)\n",
		e.Socket, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stderr, "dev-host: run inside: %s <cmd...>; tear down: %s\n",
		h.ExecPrefix(), h.DownCommand())
	env := e.Env()
	if fakeLLM {
		url, err := testhost.StartFakeLLM(ctx, h)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "dev-host: fake LLM (test double of a paid model API) at %s inside the host\n", url)
		env = append(env, "MISSIONCONTROL_FAKE_LLM_URL="+url)
	}
	var names []string
	for _, kv := range env {
		fmt.Fprintln(stdout, kv)
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	fmt.Fprintln(stdout, "export", strings.Join(names, " "))
	return nil
}
