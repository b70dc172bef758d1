package kafka

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/youmark/pkcs8"
)

// tlsOn reports whether any TLS setting is present.
func (o *Options) tlsOn() bool {
	return o.TLS || o.TLSCAFile != "" || o.TLSCAPEM != "" || o.TLSCertFile != "" || o.TLSCertPEM != "" ||
		o.TLSKeyStoreFile != "" || o.TLSSkipVerify || o.TLSNoHostnameCheck
}

// tlsConfig builds the TLS configuration, or nil when TLS is off. Errors
// name the Kafka client property a setting comes from, since that is what
// the user wrote.
func (o *Options) tlsConfig() (*tls.Config, error) {
	if !o.tlsOn() {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: o.TLSSkipVerify,
		ServerName:         o.TLSServerName,
	}
	roots, err := o.trustPool()
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = roots
	cert, err := o.clientCertificate()
	if err != nil {
		return nil, err
	}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	if o.TLSNoHostnameCheck && !o.TLSSkipVerify {
		// crypto/tls verifies the chain and the name together; to keep
		// the one without the other, verification moves here.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

// trustPool returns the CA pool from the truststore file and inline
// certificates, or nil for the system roots.
func (o *Options) trustPool() (*x509.CertPool, error) {
	if o.TLSCAFile == "" && o.TLSCAPEM == "" {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if o.TLSCAFile != "" {
		data, err := os.ReadFile(o.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("read TLS CA file (ssl.truststore.location): %w", err)
		}
		certs, err := readTrustStore(data, o.TLSCAPassword)
		if err != nil {
			return nil, fmt.Errorf("TLS CA file %s (ssl.truststore.location): %w", o.TLSCAFile, err)
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	if o.TLSCAPEM != "" && !pool.AppendCertsFromPEM([]byte(o.TLSCAPEM)) {
		return nil, errors.New("ssl.truststore.certificates holds no PEM certificate")
	}
	return pool, nil
}

// readTrustStore returns the trusted certificates of a PEM bundle or a JKS
// keystore.
func readTrustStore(data []byte, password string) ([]*x509.Certificate, error) {
	switch {
	case isPEM(data):
		var certs []*x509.Certificate
		for rest := data; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, err
			}
			certs = append(certs, c)
		}
		if len(certs) == 0 {
			return nil, errors.New("holds no PEM certificate")
		}
		return certs, nil
	case isJKS(data):
		st, err := parseJKS(data, password)
		if err != nil {
			return nil, fmt.Errorf("JKS truststore: %w", err)
		}
		if len(st.trusted) == 0 {
			return nil, errors.New("JKS truststore holds no trusted certificate entry")
		}
		return st.trusted, nil
	case len(data) > 0 && data[0] == 0x30:
		return nil, errPKCS12
	}
	return nil, errors.New("holds no PEM certificate and is not a JKS keystore")
}

// errPKCS12 explains the one store format Sluice does not read, and how
// to convert it.
var errPKCS12 = errors.New("looks like a PKCS12 keystore, which Sluice does not read; " +
	"export its certificates as PEM (keytool -exportcert -rfc -storetype PKCS12 -keystore FILE -alias ALIAS, " +
	"or openssl pkcs12 -in FILE -nokeys) and set ssl.truststore.type=PEM, or convert it to JKS")

func isPEM(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("-----BEGIN"))
}

// clientCertificate loads the client certificate, or nil when none is set.
func (o *Options) clientCertificate() (*tls.Certificate, error) {
	switch {
	case o.TLSKeyStoreFile != "":
		return o.jksCertificate()
	case o.TLSCertFile != "":
		certPEM, err := os.ReadFile(o.TLSCertFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS client certificate (ssl.keystore.location): %w", err)
		}
		keyPEM := certPEM
		if o.TLSKeyFile != o.TLSCertFile {
			if keyPEM, err = os.ReadFile(o.TLSKeyFile); err != nil {
				return nil, fmt.Errorf("load TLS client certificate key: %w", err)
			}
		}
		c, err := pemKeyPair(certPEM, keyPEM, o.TLSKeyPassword)
		if err != nil {
			return nil, fmt.Errorf("load TLS client certificate %s (ssl.keystore.location): %w", o.TLSCertFile, err)
		}
		return c, nil
	case o.TLSCertPEM != "":
		c, err := pemKeyPair([]byte(o.TLSCertPEM), []byte(o.TLSKeyPEM), o.TLSKeyPassword)
		if err != nil {
			return nil, fmt.Errorf("load TLS client certificate (ssl.keystore.certificate.chain, ssl.keystore.key): %w", err)
		}
		return c, nil
	}
	return nil, nil
}

// pemKeyPair pairs PEM certificates with a PEM private key, decrypting an
// "ENCRYPTED PRIVATE KEY" (PKCS#8, as Kafka's PEM keystores allow) with
// password.
func pemKeyPair(certPEM, keyPEM []byte, password string) (*tls.Certificate, error) {
	for rest := keyPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "ENCRYPTED PRIVATE KEY" {
			continue
		}
		if password == "" {
			return nil, errors.New("the private key is encrypted and ssl.key.password is not set")
		}
		key, err := pkcs8.ParsePKCS8PrivateKey(b.Bytes, []byte(password))
		if err != nil {
			return nil, fmt.Errorf("decrypt the private key with ssl.key.password: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		break
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// jksCertificate loads the first private key entry of a JKS keystore.
func (o *Options) jksCertificate() (*tls.Certificate, error) {
	fail := func(err error) (*tls.Certificate, error) {
		return nil, fmt.Errorf("TLS keystore %s (ssl.keystore.location): %w", o.TLSKeyStoreFile, err)
	}
	data, err := os.ReadFile(o.TLSKeyStoreFile)
	if err != nil {
		return fail(err)
	}
	if isPEM(data) {
		return fail(errors.New("holds PEM, not JKS; set ssl.keystore.type=PEM"))
	}
	if !isJKS(data) {
		return fail(errors.New("is not a JKS keystore; Sluice reads JKS and PEM keystores, so convert a PKCS12 one " +
			"(openssl pkcs12 -in FILE -nodes) and set ssl.keystore.type=PEM"))
	}
	st, err := parseJKS(data, o.TLSKeyStorePassword)
	if err != nil {
		return fail(err)
	}
	if len(st.keys) == 0 {
		return fail(errors.New("holds no private key entry"))
	}
	k := st.keys[0]
	pw := o.TLSKeyPassword
	if pw == "" {
		pw = o.TLSKeyStorePassword
	}
	der, err := k.unprotect(pw)
	if err != nil {
		return fail(fmt.Errorf("%w (ssl.key.password)", err))
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return fail(fmt.Errorf("key %q: %w", k.alias, err))
	}
	if len(k.chain) == 0 {
		return fail(fmt.Errorf("key %q has no certificate", k.alias))
	}
	leaf, err := x509.ParseCertificate(k.chain[0])
	if err != nil {
		return fail(fmt.Errorf("key %q: %w", k.alias, err))
	}
	return &tls.Certificate{Certificate: k.chain, PrivateKey: key, Leaf: leaf}, nil
}
