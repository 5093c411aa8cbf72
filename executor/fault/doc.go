// Package fault is the executor's crash-injection point, for tests only. It
// makes the executor SIGKILL itself immediately before or after one step of
// one tenant's job, so host e2e tests can prove that every crash point
// leaves a job that is marked interrupted on restart and whose retry
// converges.
//
// It is compiled in only with the build tag faultinject. A default build
// refuses to start when the test-only variable EnvFile is set, so a
// production executor can neither be made to crash this way nor silently
// ignore a test's request to.
//
// It never changes the host: the only file it touches is the trigger file it
// consumes.
package fault
