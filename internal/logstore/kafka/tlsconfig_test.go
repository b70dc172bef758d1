package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync"
	"testing"

	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestHostnameCheck dials a TLS listener by a name its certificate does
// not hold: refused by default, accepted with the check off (an empty
// ssl.endpoint.identification.algorithm), and still refused then when the
// chain is not trusted.
func TestHostnameCheck(t *testing.T) {
	pki, err := testsvc.NewTestPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(pki.ServerFile, pki.ServerFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	tests := []struct {
		name string
		opts Options
		want error // nil: the handshake succeeds
	}{
		{"name checked", Options{TLSCAFile: pki.CAFile, TLSServerName: "elsewhere.example"}, x509.HostnameError{}},
		{"name not checked", Options{TLSCAFile: pki.CAFile, TLSServerName: "elsewhere.example", TLSNoHostnameCheck: true}, nil},
		{"chain still checked", Options{TLSServerName: "elsewhere.example", TLSNoHostnameCheck: true}, x509.UnknownAuthorityError{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.opts.tlsConfig()
			if err != nil {
				t.Fatal(err)
			}
			c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
			if err == nil {
				c.Close()
			}
			switch want := tc.want.(type) {
			case nil:
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
			case x509.HostnameError:
				if !errors.As(err, &want) {
					t.Fatalf("handshake = %v, want a host name error", err)
				}
			case x509.UnknownAuthorityError:
				if !errors.As(err, &want) {
					t.Fatalf("handshake = %v, want an unknown authority", err)
				}
			}
		})
	}
}
