package provider_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/provider"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

const bigcorpAddr = "missioncontrol_tenant.bigcorp"

// approvalsRequired is the diagnostic of an apply that timed out waiting
// for approvals: it names the job and how to approve.
var approvalsRequired = regexp.MustCompile(`(?s)Approvals Required.*Job job-[a-z0-9-]+ for .*bigcorp.*waited for approvals of digest\s+sha256:[0-9a-f]{64}\s+\(%d\s+of\s+2.*missioncontrol-executor\s+approve\s+--digest`)

func approvalsRequiredWith(n string) *regexp.Regexp {
	return regexp.MustCompile(strings.Replace(approvalsRequired.String(), "%d", n, 1))
}

// TestAccTenantResource_approvals walks the two-person rule of the example
// policy (production needs 2 distinct approvers) through terraform apply:
// no approval and one approval time out with the instructions; two
// offline tokens (MISSIONCONTROL_APPROVALS) apply; an update and the
// destroy wait for approvals that approvers give with the CLI while the
// apply waits, and finish.
func TestAccTenantResource_approvals(t *testing.T) {
	host := realHost(t)
	e := host.executor
	if e == nil {
		t.Skip("SKIPPED: needs the approver keys of a throwaway host booted by the test (unset MISSIONCONTROL_ENDPOINT)")
	}
	ctx := context.Background()
	c := keyClient(t, e, testhost.KeyOperator)
	vars := func(name, timeout string) config.Variables {
		mem := 1024
		if name != "BigCorp" {
			mem = 2048 // the update changes a limit, so it has host steps
		}
		return config.Variables{"display_name": config.StringVariable(name), "timeout": config.StringVariable(timeout),
			"memory_max_mb": config.IntegerVariable(mem)}
	}
	// tokens signs approvals of the digest of the tenant's last job.
	tokens := func(keys ...string) string {
		t.Helper()
		jobs, err := c.ListJobs(ctx, "bigcorp", 1)
		if err != nil || len(jobs) == 0 {
			t.Fatalf("last job of bigcorp: %v %v", jobs, err)
		}
		host, err := c.HostID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range keys {
			key, err := testhost.LoadKey(e.Keys[k])
			if err != nil {
				t.Fatal(err)
			}
			tok, err := api.Signer{Key: key}.Approve(jobs[0].Digest, host, time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tok)
		}
		return strings.Join(out, ",")
	}
	approver := &cliApprover{t: t, e: e, c: c}
	t.Cleanup(approver.stop)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "bigcorp"),
		Steps: []resource.TestStep{
			// No approval: the job waits, the apply fails at its timeout
			// naming the job and how to approve it; nothing ran.
			{
				PreConfig:       func() { t.Setenv(provider.EnvApprovals, "") },
				ConfigFile:      testConfig("approvals", "production.tf"),
				ConfigVariables: vars("BigCorp", "8s"),
				ExpectError:     approvalsRequiredWith("0"),
			},
			// One approval (alice) is not enough.
			{
				PreConfig: func() {
					if out, err := host.exec("getent", "passwd", "mc-bigcorp"); err == nil {
						t.Fatalf("a job without approvals created the user: %s", out)
					}
					t.Setenv(provider.EnvApprovals, tokens(testhost.KeyAlice))
				},
				ConfigFile:      testConfig("approvals", "production.tf"),
				ConfigVariables: vars("BigCorp", "8s"),
				ExpectError:     approvalsRequiredWith("1"),
			},
			// Two distinct approvers: the apply runs.
			{
				PreConfig:       func() { t.Setenv(provider.EnvApprovals, tokens(testhost.KeyAlice, testhost.KeyBob)) },
				ConfigFile:      testConfig("approvals", "production.tf"),
				ConfigVariables: vars("BigCorp", "2m"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(bigcorpAddr, tfjsonpath.New("unix_user"), knownvalue.StringExact("mc-bigcorp")),
				},
			},
			// An update with no tokens waits; alice and bob approve the
			// waiting job with the CLI, and the same apply finishes. The
			// approver keeps going for the destroy at the end.
			{
				PreConfig: func() {
					t.Setenv(provider.EnvApprovals, "")
					approver.start()
				},
				ConfigFile:      testConfig("approvals", "production.tf"),
				ConfigVariables: vars("BigCorp Inc", "2m"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(bigcorpAddr, tfjsonpath.New("display_name"), knownvalue.StringExact("BigCorp Inc")),
				},
				Check: func(*terraform.State) error {
					if n := approver.count(); n < 1 {
						t.Errorf("the CLI approved %d jobs", n)
					}
					return nil
				},
			},
		},
	})
}

// keyClient is an executor client signing with one of the host's keys.
func keyClient(t *testing.T, e *testhost.Executor, name string) *client.Client {
	t.Helper()
	key, err := testhost.LoadKey(e.Keys[name])
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{Endpoint: e.Endpoint(), SigningKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cliApprover approves every job of bigcorp that awaits approval by
// running `missioncontrol-executor approve JOB --key ...` for alice and
// bob, as two reviewers would.
type cliApprover struct {
	t    *testing.T
	e    *testhost.Executor
	c    *client.Client
	mu   sync.Mutex
	done map[string]bool
	quit chan struct{}
	wg   sync.WaitGroup
}

func (a *cliApprover) start() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.quit != nil {
		return
	}
	a.done, a.quit = map[string]bool{}, make(chan struct{})
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for {
			select {
			case <-a.quit:
				return
			case <-time.After(300 * time.Millisecond):
			}
			jobs, err := a.c.ListJobs(context.Background(), "bigcorp", 5)
			if err != nil {
				continue
			}
			for _, j := range jobs {
				a.mu.Lock()
				seen := a.done[j.ID]
				a.mu.Unlock()
				if j.State != api.JobAwaitingApproval || seen {
					continue
				}
				for _, k := range []string{testhost.KeyAlice, testhost.KeyBob} {
					out, err := exec.Command(a.e.Binary(), "approve", j.ID, "--key", a.e.Keys[k], "--socket", a.e.Socket).CombinedOutput()
					a.t.Logf("approve %s --key %s: %s %v", j.ID, k, strings.TrimSpace(string(out)), err)
				}
				a.mu.Lock()
				a.done[j.ID] = true
				a.mu.Unlock()
			}
		}
	}()
}

func (a *cliApprover) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.done)
}

func (a *cliApprover) stop() {
	a.mu.Lock()
	q := a.quit
	a.quit = nil
	a.mu.Unlock()
	if q != nil {
		close(q)
		a.wg.Wait()
	}
}

// autoApprove plays two reviewers for the rest of the test: every job that
// awaits approval on the test's host is approved through the API with the
// alice and bob keys that sit next to the provider's signing key (on a
// throwaway host booted by the test or by `make dev-host`). Tests whose
// configurations have production tenants use it.
func autoApprove(t *testing.T) {
	t.Helper()
	keyFile := os.Getenv(provider.EnvSigningKeyFile)
	if keyFile == "" {
		t.Skipf("SKIPPED: %s is not set, so there are no approver keys for production tenants", provider.EnvSigningKeyFile)
	}
	var approvers []*client.Client
	for _, name := range []string{testhost.KeyAlice, testhost.KeyBob} {
		key, err := testhost.LoadKey(filepath.Join(filepath.Dir(keyFile), name+".pem"))
		if err != nil {
			t.Skipf("SKIPPED: no approver key %s next to the signing key: %v", name, err)
		}
		c, err := client.New(client.Config{Endpoint: os.Getenv(provider.EnvEndpoint), SigningKey: key})
		if err != nil {
			t.Fatal(err)
		}
		approvers = append(approvers, c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		done := map[string]bool{}
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(300 * time.Millisecond):
			}
			jobs, err := approvers[0].ListJobs(ctx, "", 20)
			if err != nil {
				continue
			}
			for _, j := range jobs {
				if j.State != api.JobAwaitingApproval || done[j.ID] {
					continue
				}
				host, err := approvers[0].HostID(ctx)
				if err != nil {
					continue
				}
				for _, c := range approvers {
					s, _ := c.Signer()
					tok, err := s.Approve(j.Digest, host, time.Now().Add(time.Hour))
					if err == nil {
						_, err = c.ApproveJob(ctx, j.ID, []string{tok})
					}
					t.Logf("auto-approve %s (%s) by %s: %v", j.ID, j.Tenant, c.KeyID(), err)
				}
				done[j.ID] = true
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}
