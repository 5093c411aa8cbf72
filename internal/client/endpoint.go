package client

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultEndpoint is where a host's executor listens unless configured
// otherwise.
const DefaultEndpoint = "unix:///run/missioncontrol/executor.sock"

// maxSocketPath is the longest unix socket path the kernel accepts
// (sun_path is 108 bytes including the terminating NUL).
const maxSocketPath = 107

// Endpoint is a parsed executor address.
type Endpoint struct {
	// Scheme is "unix" or "https".
	Scheme string
	// SocketPath is the absolute socket path for "unix".
	SocketPath string
	// Host is host:port for "https".
	Host string
}

// ParseEndpoint parses "unix:///abs/path.sock" or "https://host:port".
// It returns an error saying what is wrong for anything else; it never
// touches the network or the file system.
func ParseEndpoint(s string) (Endpoint, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Endpoint{}, fmt.Errorf("parse endpoint %q: %w", s, err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Endpoint{}, fmt.Errorf("endpoint %q: user info, query and fragment are not allowed", s)
	}
	switch u.Scheme {
	case "unix":
		if u.Host != "" || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
			return Endpoint{}, fmt.Errorf("endpoint %q: want unix:///absolute/path.sock (three slashes)", s)
		}
		if len(u.Path) > maxSocketPath {
			return Endpoint{}, fmt.Errorf("endpoint %q: socket path is %d bytes, the limit is %d", s, len(u.Path), maxSocketPath)
		}
		return Endpoint{Scheme: "unix", SocketPath: u.Path}, nil
	case "https":
		if u.Host == "" || u.Port() == "" {
			return Endpoint{}, fmt.Errorf("endpoint %q: want https://host:port", s)
		}
		if u.Path != "" && u.Path != "/" {
			return Endpoint{}, fmt.Errorf("endpoint %q: a path is not allowed", s)
		}
		return Endpoint{Scheme: "https", Host: u.Host}, nil
	}
	return Endpoint{}, fmt.Errorf("endpoint %q: scheme must be unix or https, got %q", s, u.Scheme)
}

// String returns the endpoint in its canonical form.
func (e Endpoint) String() string {
	if e.Scheme == "unix" {
		return "unix://" + e.SocketPath
	}
	return "https://" + e.Host
}

// baseURL is the URL prefix requests are sent to. Unix-socket requests use a
// fixed placeholder host; the transport dials the socket whatever the host.
func (e Endpoint) baseURL() string {
	if e.Scheme == "unix" {
		return "http://executor"
	}
	return "https://" + e.Host
}
