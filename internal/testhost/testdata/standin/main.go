// Command standin stands in for missioncontrol-executor in the tests of
// internal/testhost: `serve --config FILE` serves GET /v1/health on the
// config's listen.socket, and `policy pin --write FILE` marks the policy
// unless /share/etc/standin-no-pin exists (then it behaves like an executor
// without that subcommand).
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"regexp"
	"strconv"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	pin := true
	if _, err := os.Stat("/share/etc/standin-no-pin"); err == nil {
		pin = false
	}
	switch {
	case len(args) == 3 && args[0] == "serve" && args[1] == "--config":
		return serve(args[2])
	case pin && len(args) == 3 && args[0] == "policy" && args[1] == "pin" && args[2] == "--help":
		fmt.Println("Usage:\n  missioncontrol-executor policy pin --write FILE")
		return nil
	case pin && len(args) == 4 && args[0] == "policy" && args[1] == "pin" && args[2] == "--write":
		f, err := os.OpenFile(args[3], os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		fmt.Fprintln(f, "# pinned by standin")
		return f.Close()
	}
	return fmt.Errorf("unknown command %q", args)
}

func serve(config string) error {
	src, err := os.ReadFile(config)
	if err != nil {
		return err
	}
	attr := func(name string) string {
		m := regexp.MustCompile(`(?m)^\s*` + name + `\s*=\s*"([^"]*)"`).FindSubmatch(src)
		if m == nil {
			return ""
		}
		return string(m[1])
	}
	if _, err := os.Stat(attr("policy_file")); err != nil {
		return fmt.Errorf("policy_file: %w", err)
	}
	sock := attr("socket")
	os.Remove(sock)
	l, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	mode, err := strconv.ParseUint(attr("mode"), 8, 32)
	if err != nil {
		return fmt.Errorf("listen.mode: %w", err)
	}
	g, err := user.LookupGroup(attr("group"))
	if err != nil {
		return err
	}
	gid, _ := strconv.Atoi(g.Gid)
	if err := os.Chown(sock, 0, gid); err != nil {
		return err
	}
	if err := os.Chmod(sock, os.FileMode(mode)); err != nil {
		return err
	}
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "{\"status\":\"ok\",\"standin\":true,\"hostname\":%q}\n", host)
	})
	return http.Serve(l, mux)
}
