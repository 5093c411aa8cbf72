// Package e2e holds the executor's host end-to-end tests: a throwaway host
// with a real systemd as PID 1, the real executor running inside it as a
// unit, driven over its unix socket. Real useradd, real units, real visudo;
// the machine running the tests is never changed.
package e2e
