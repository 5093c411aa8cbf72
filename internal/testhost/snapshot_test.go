package testhost_test

import (
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	base := func() testhost.Snapshot {
		return testhost.Snapshot{
			Accounts: map[string]string{"/etc/passwd": "root:x:0:0::/root:/bin/bash\n"},
			Files: []testhost.FileState{
				{Path: "/etc/sudoers.d", Mode: fs.ModeDir | 0o755},
				{Path: "/etc/sudoers.d/README", Mode: 0o440, SHA256: "aaaaaaaaaaaaaaaaaaaa"},
			},
			Units: []testhost.UnitState{{Name: "missioncontrol-executor.service", Load: "loaded", Active: "active", Sub: "running"}},
		}
	}
	tests := map[string]struct {
		change func(*testhost.Snapshot)
		want   string
	}{
		"identical": {change: func(*testhost.Snapshot) {}, want: ""},
		"user added": {
			change: func(s *testhost.Snapshot) {
				s.Accounts["/etc/passwd"] += "mc-acme:x:20001:20001::/srv:/usr/sbin/nologin\n"
			},
			want: "+ /etc/passwd: mc-acme:x:20001:20001::/srv:/usr/sbin/nologin",
		},
		"account file appears": {
			change: func(s *testhost.Snapshot) { s.Accounts["/etc/group"] = "mc-acme:x:20001:\n" },
			want:   "+ /etc/group: mc-acme:x:20001:",
		},
		"user removed": {
			change: func(s *testhost.Snapshot) { s.Accounts["/etc/passwd"] = "" },
			want:   "- /etc/passwd: root:x:0:0::/root:/bin/bash",
		},
		"file added and removed": {
			change: func(s *testhost.Snapshot) {
				s.Files = []testhost.FileState{s.Files[0], {Path: "/etc/sudoers.d/z", Mode: fs.ModeSymlink | 0o777, Target: "/x"}}
			},
			want: "- file /etc/sudoers.d/README 0:0 -r--r----- sha256:aaaaaaaaaaaa\n" +
				"+ file /etc/sudoers.d/z 0:0 Lrwxrwxrwx -> /x",
		},
		"file changed": {
			change: func(s *testhost.Snapshot) {
				s.Files[1].UID, s.Files[1].Mode, s.Files[1].SHA256 = 20001, 0o640, "bbbbbbbbbbbbbbbbbbbb"
			},
			want: "~ file /etc/sudoers.d/README: owner 0:0 -> 20001:0, mode -r--r----- -> -rw-r-----, " +
				"content sha256:aaaaaaaaaaaa -> sha256:bbbbbbbbbbbb",
		},
		"unit stopped and added": {
			change: func(s *testhost.Snapshot) {
				s.Units = []testhost.UnitState{
					{Name: "missioncontrol-executor.service", Load: "loaded", Active: "inactive", Sub: "dead"},
					{Name: "missioncontrol-gateway@acme.service", Load: "loaded", Active: "active", Sub: "running"},
				}
			},
			want: "~ unit missioncontrol-executor.service: loaded/active/running -> loaded/inactive/dead\n" +
				"+ unit missioncontrol-gateway@acme.service loaded/active/running",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := base(), base()
			tc.change(&b)
			if diff := cmp.Diff(tc.want, testhost.Diff(a, b)); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}
