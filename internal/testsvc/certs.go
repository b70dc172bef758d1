package testsvc

import (
	"crypto"
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

// TestPKI is a throwaway certificate authority and the certificates it
// signed, written as PEM files in one directory. It exists for the length
// of one test; nothing about it is secret beyond that.
type TestPKI struct {
	// CAFile holds the CA certificate: a PEM truststore, as Kafka's
	// ssl.truststore.type=PEM and Go's x509.CertPool read it.
	CAFile string
	// ServerFile holds the server's private key (PKCS#8) followed by its
	// certificate chain: the layout of a Kafka PEM keystore. The
	// certificate names 127.0.0.1, ::1 and localhost.
	ServerFile string
	// ClientCertFile and ClientKeyFile are a client certificate (CN
	// "sluice-client") and its key, apart; ClientFile is both in one
	// file, as a Kafka client's ssl.keystore.type=PEM wants them.
	ClientCertFile string
	ClientKeyFile  string
	ClientFile     string
}

// NewTestPKI generates a CA, a server and a client certificate into dir.
// ECDSA P-256 keeps generation to milliseconds.
func NewTestPKI(dir string) (*TestPKI, error) {
	p := &TestPKI{
		CAFile:         filepath.Join(dir, "ca.pem"),
		ServerFile:     filepath.Join(dir, "server.pem"),
		ClientCertFile: filepath.Join(dir, "client-cert.pem"),
		ClientKeyFile:  filepath.Join(dir, "client-key.pem"),
		ClientFile:     filepath.Join(dir, "client.pem"),
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testsvc: CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sluice test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testsvc: CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("testsvc: CA certificate: %w", err)
	}
	if err := writePEM(p.CAFile, pemBlock("CERTIFICATE", caDER)); err != nil {
		return nil, err
	}

	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP, dns []string) (der []byte, key []byte, err error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("testsvc: %s key: %w", cn, err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(7 * 24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
			DNSNames:     dns,
		}
		der, err = x509.CreateCertificate(rand.Reader, tmpl, ca, k.Public(), crypto.Signer(caKey))
		if err != nil {
			return nil, nil, fmt.Errorf("testsvc: %s certificate: %w", cn, err)
		}
		// Kafka's PEM keystore reads PKCS#8 only ("BEGIN PRIVATE KEY").
		key, err = x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, nil, fmt.Errorf("testsvc: %s key: %w", cn, err)
		}
		return der, key, nil
	}
	srvDER, srvKey, err := leaf(2, "localhost", x509.ExtKeyUsageServerAuth,
		[]net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, []string{"localhost"})
	if err != nil {
		return nil, err
	}
	if err := writePEM(p.ServerFile, pemBlock("PRIVATE KEY", srvKey), pemBlock("CERTIFICATE", srvDER), pemBlock("CERTIFICATE", caDER)); err != nil {
		return nil, err
	}
	cliDER, cliKey, err := leaf(3, "sluice-client", x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		path   string
		blocks []*pem.Block
	}{
		{p.ClientCertFile, []*pem.Block{pemBlock("CERTIFICATE", cliDER)}},
		{p.ClientKeyFile, []*pem.Block{pemBlock("PRIVATE KEY", cliKey)}},
		{p.ClientFile, []*pem.Block{pemBlock("PRIVATE KEY", cliKey), pemBlock("CERTIFICATE", cliDER)}},
	} {
		if err := writePEM(f.path, f.blocks...); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func pemBlock(typ string, der []byte) *pem.Block { return &pem.Block{Type: typ, Bytes: der} }

func writePEM(path string, blocks ...*pem.Block) error {
	var out []byte
	for _, b := range blocks {
		out = append(out, pem.EncodeToMemory(b)...)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return fmt.Errorf("testsvc: write %s: %w", path, err)
	}
	return nil
}
