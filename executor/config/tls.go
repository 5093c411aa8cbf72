package config

import (
	"errors"
	"net"
	"strconv"
)

// ListenTLS is an optional TCP listener with mutual TLS, for remote clients
// (a provider with endpoint = "https://host:port"). Every client must present
// a certificate signed by ClientCA; requests that change anything still need
// a signed envelope. Empty Address means no TCP listener.
type ListenTLS struct {
	// Address is host:port, e.g. "10.0.0.5:7443".
	Address string
	// CertFile and KeyFile are the executor's PEM certificate and key.
	CertFile, KeyFile string
	// ClientCA is the PEM bundle of CAs whose client certificates are accepted.
	ClientCA string
}

// ErrTLS is returned for an incomplete or invalid TLS listener.
var ErrTLS = errors.New("a TLS listener needs tls_address (host:port), tls_cert_file, tls_key_file and tls_client_ca, all set")

func (c Config) validateTLS(v *validator) {
	t := c.Listen.TLS
	if t == (ListenTLS{}) {
		return
	}
	if _, port, err := net.SplitHostPort(t.Address); err != nil || port == "" {
		v.fail("listen.tls_address", strconv.Quote(t.Address), ErrTLS)
	}
	for _, f := range []struct{ field, path string }{
		{"listen.tls_cert_file", t.CertFile}, {"listen.tls_key_file", t.KeyFile}, {"listen.tls_client_ca", t.ClientCA},
	} {
		if f.path == "" {
			v.fail(f.field, `""`, ErrTLS)
		} else {
			v.path(f.field, f.path)
		}
	}
}
