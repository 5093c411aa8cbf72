package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
)

// TLSConfig is the server side of mutual TLS: the executor's certificate,
// and the CAs whose client certificates it accepts. Clients without a
// certificate signed by one of them fail the handshake.
func TLSConfig(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate: %w", err)
	}
	pem, err := os.ReadFile(clientCAFile)
	if err != nil {
		return nil, fmt.Errorf("read client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("client CA %s: no PEM certificate found", clientCAFile)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}, nil
}

// ServeTLS serves the API on ln with mutual TLS until Shutdown. Clients
// reach the same routes as on the unix socket; the verified client
// certificate stands in for the socket's peer credentials, and changes
// still need signed envelopes.
func (s *Server) ServeTLS(ln net.Listener, cfg *tls.Config) error {
	s.tls = s.newHTTPServer(s.Handler())
	s.tls.TLSConfig = cfg
	s.tls.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return s.trackConn(ctx, c, "tls "+c.RemoteAddr().String())
	}
	// Failed handshakes (no or untrusted client certificate) go to the log.
	s.tls.ErrorLog = slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn)
	err := s.tls.Serve(tls.NewListener(ln, cfg))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// tlsPeer names the client of a mutual TLS request by its verified
// certificate ("cert:<subject CN>"); "" for other requests.
func tlsPeer(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return ""
	}
	return "cert:" + r.TLS.VerifiedChains[0][0].Subject.CommonName
}
