package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/server"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/trust"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

// pki writes a CA, a server certificate for 127.0.0.1 and a client
// certificate into dir and returns their paths.
type pki struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage, ips []net.IP) (string, string) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalPKCS8PrivateKey(k)
		return write(name+".crt", "CERTIFICATE", der), write(name+".key", "PRIVATE KEY", kb)
	}
	p := pki{ca: write("ca.crt", "CERTIFICATE", caDER)}
	p.serverCert, p.serverKey = leaf("executor", 2, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	p.clientCert, p.clientKey = leaf("ci-runner", 3, x509.ExtKeyUsageClientAuth, nil)
	return p
}

func TestMutualTLS(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	cfg, err := server.TLSConfig(p.serverCert, p.serverKey, p.ca)
	if err != nil {
		t.Fatal(err)
	}
	ring, _ := trust.NewKeyring(nil)
	srv := &server.Server{
		GID: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Trust: &trust.Verifier{Keys: ring, HostID: "h1", Now: time.Now},
		Info:  func(context.Context) api.Info { return api.Info{HostID: "h1"} },
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeTLS(ln, cfg) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	endpoint := "https://" + ln.Addr().String()

	c, err := client.New(client.Config{Endpoint: endpoint, CAFile: p.ca, CertFile: p.clientCert, KeyFile: p.clientKey, RetryMax: 1})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil || info.HostID != "h1" {
		t.Fatalf("info over mutual TLS: %v %+v", err, info)
	}
	// the certificate replaces the socket's peer check, not the envelope
	if _, err := c.Plan(context.Background(), api.PlanRequest{Tenant: "acme"}); !api.IsCode(err, api.CodeUnauthorized) {
		t.Fatalf("unsigned plan over TLS: %v", err)
	}

	noCert, err := client.New(client.Config{Endpoint: endpoint, CAFile: p.ca, RetryMax: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noCert.Info(context.Background()); err == nil {
		t.Fatal("a client without a certificate got an answer")
	} else {
		t.Logf("without a client certificate: %v", err)
	}
}
