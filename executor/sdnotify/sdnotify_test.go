package sdnotify_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/sdnotify"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		env     map[string]string
		want    sdnotify.Notifier
		wantErr bool
	}{
		"not under systemd": {env: map[string]string{}, want: sdnotify.Notifier{}},
		"notify only":       {env: map[string]string{"NOTIFY_SOCKET": "/run/systemd/notify"}, want: sdnotify.Notifier{Socket: "/run/systemd/notify"}},
		"watchdog for us": {
			env:  map[string]string{"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"},
			want: sdnotify.Notifier{Socket: "@x", WatchdogInterval: 30 * time.Second},
		},
		"watchdog without pid": {
			env:  map[string]string{"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "500"},
			want: sdnotify.Notifier{Socket: "@x", WatchdogInterval: 500 * time.Microsecond},
		},
		"watchdog for another process": {
			env:  map[string]string{"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"},
			want: sdnotify.Notifier{Socket: "@x"},
		},
		"bad usec":  {env: map[string]string{"WATCHDOG_USEC": "soon"}, wantErr: true},
		"zero usec": {env: map[string]string{"WATCHDOG_USEC": "0"}, wantErr: true},
		"bad pid":   {env: map[string]string{"WATCHDOG_USEC": "1", "WATCHDOG_PID": "-1"}, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := sdnotify.FromEnv(func(k string) string { return tc.env[k] }, 42)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// listen opens a datagram socket like systemd's notify socket.
func listen(t *testing.T) (*net.UnixConn, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, path
}

func read(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 256)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("read notification: %v", err)
	}
	return string(buf[:n])
}

func TestNotify(t *testing.T) {
	t.Parallel()
	conn, path := listen(t)
	sent, err := sdnotify.Notifier{Socket: path}.Notify(sdnotify.Ready)
	if !sent || err != nil {
		t.Fatalf("Notify = %v, %v; want sent", sent, err)
	}
	if got := read(t, conn); got != "READY=1" {
		t.Errorf("systemd got %q, want READY=1", got)
	}

	if sent, err := (sdnotify.Notifier{}).Notify(sdnotify.Ready); sent || err != nil {
		t.Errorf("without a socket Notify = %v, %v; want a silent no-op", sent, err)
	}
	if sent, err := (sdnotify.Notifier{Socket: filepath.Join(t.TempDir(), "gone")}).Notify(sdnotify.Ready); sent || err == nil {
		t.Errorf("to a missing socket Notify = %v, %v; want an error", sent, err)
	}
}

func TestAbstractSocket(t *testing.T) {
	t.Parallel()
	name := "mc-sdnotify-test-" + time.Now().Format("150405.000000000")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "\x00" + name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := (sdnotify.Notifier{Socket: "@" + name}).Notify(sdnotify.Stopping); err != nil {
		t.Fatal(err)
	}
	if got := read(t, conn); got != "STOPPING=1" {
		t.Errorf("got %q", got)
	}
}

func TestRunWatchdog(t *testing.T) {
	t.Parallel()
	conn, path := listen(t)
	var healthy atomic.Bool
	healthy.Store(true)
	n := sdnotify.Notifier{Socket: path, WatchdogInterval: 40 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	errs := make(chan error, 100)
	go func() {
		defer close(done)
		n.RunWatchdog(ctx, func(context.Context) error {
			if healthy.Load() {
				return nil
			}
			return errors.New("store unreachable")
		}, func(err error) { errs <- err })
	}()
	for range 3 {
		if got := read(t, conn); got != "WATCHDOG=1" {
			t.Fatalf("got %q, want WATCHDOG=1", got)
		}
	}
	// An executor that is no longer alive stops pinging, so systemd's
	// watchdog fires.
	healthy.Store(false)
	select {
	case err := <-errs:
		if err.Error() != "store unreachable" {
			t.Fatalf("onErr got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no liveness error reported")
	}
	// At most the ping already in flight arrives; then systemd hears nothing.
	late := 0
	for ; late < 3; late++ {
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := conn.Read(make([]byte, 64)); err != nil {
			break
		}
	}
	if late > 1 {
		t.Errorf("%d pings after the liveness check failed, want at most 1", late)
	}
	cancel()
	<-done

	// No watchdog configured: returns at once.
	(sdnotify.Notifier{Socket: path}).RunWatchdog(context.Background(), nil, nil)
}
