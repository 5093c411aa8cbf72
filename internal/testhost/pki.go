package testhost

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TLSFiles are the PEM files of a throwaway PKI for mutual TLS tests.
type TLSFiles struct {
	CA                    string // the CA that signed both certificates
	ServerCert, ServerKey string // for 127.0.0.1
	ClientCert, ClientKey string // CN "terraform"
	Dir                   string
}

// MakeTLS writes a CA, a server certificate for 127.0.0.1 and a client
// certificate (PEM, keys 0600) into dir, valid for a day.
func MakeTLS(dir string) (TLSFiles, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return TLSFiles{}, fmt.Errorf("tls: %w", err)
	}
	f := TLSFiles{Dir: dir}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, fmt.Errorf("tls: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "missioncontrol test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return f, fmt.Errorf("tls: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return f, fmt.Errorf("tls: %w", err)
	}
	write := func(name, typ string, der []byte, mode os.FileMode) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
	}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage, ips []net.IP) (string, string, error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return "", "", err
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			return "", "", err
		}
		kb, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return "", "", err
		}
		cert, err := write(name+".crt", "CERTIFICATE", der, 0o644)
		if err != nil {
			return "", "", err
		}
		key, err := write(name+".key", "PRIVATE KEY", kb, 0o600)
		return cert, key, err
	}
	if f.CA, err = write("ca.crt", "CERTIFICATE", caDER, 0o644); err != nil {
		return f, fmt.Errorf("tls: %w", err)
	}
	if f.ServerCert, f.ServerKey, err = leaf("executor", 2, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)}); err != nil {
		return f, fmt.Errorf("tls: %w", err)
	}
	if f.ClientCert, f.ClientKey, err = leaf("terraform", 3, x509.ExtKeyUsageClientAuth, nil); err != nil {
		return f, fmt.Errorf("tls: %w", err)
	}
	return f, nil
}
