package kafka

import (
	"bytes"
	"crypto"
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
	case isDER(data):
		st, err := parsePKCS12(data, password)
		if err != nil {
			return nil, fmt.Errorf("PKCS12 truststore (ssl.truststore.password): %w", err)
		}
		if len(st.certs) == 0 {
			return nil, errors.New("PKCS12 truststore holds no certificate")
		}
		return st.certs, nil
	}
	return nil, errors.New("holds no PEM certificate and is neither a JKS nor a PKCS12 keystore")
}

// isDER reports whether data starts with an ASN.1 SEQUENCE, as a PKCS12
// store does.
func isDER(data []byte) bool { return len(data) > 1 && data[0] == 0x30 }

func isPEM(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("-----BEGIN"))
}

// clientCertificate loads the client certificate, or nil when none is set.
func (o *Options) clientCertificate() (*tls.Certificate, error) {
	switch {
	case o.TLSKeyStoreFile != "":
		return o.keyStoreCertificate()
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

// keyStoreCertificate loads the first private key of a JKS or PKCS12
// keystore, with its certificate chain.
func (o *Options) keyStoreCertificate() (*tls.Certificate, error) {
	fail := func(err error) (*tls.Certificate, error) {
		return nil, fmt.Errorf("TLS keystore %s (ssl.keystore.location): %w", o.TLSKeyStoreFile, err)
	}
	data, err := os.ReadFile(o.TLSKeyStoreFile)
	if err != nil {
		return fail(err)
	}
	pw := o.TLSKeyPassword
	if pw == "" {
		// Java's default, and the only choice keytool offers for PKCS12.
		pw = o.TLSKeyStorePassword
	}
	switch {
	case isPEM(data):
		return fail(errors.New("holds PEM, not JKS or PKCS12; set ssl.keystore.type=PEM"))
	case isJKS(data):
		c, err := o.jksCertificate(data, pw)
		if err != nil {
			return fail(err)
		}
		return c, nil
	case isDER(data):
		st, err := parsePKCS12(data, o.TLSKeyStorePassword)
		if err != nil {
			return fail(fmt.Errorf("%w (ssl.keystore.password)", err))
		}
		if len(st.keys) == 0 {
			return fail(errors.New("holds no private key"))
		}
		c, err := pairKey(st.keys[0], st.certs)
		if err != nil {
			return fail(err)
		}
		return c, nil
	}
	return fail(errors.New("is neither a JKS nor a PKCS12 keystore"))
}

// pairKey builds a TLS certificate from a key and the store's
// certificates: the one holding the key's public half is the leaf, the
// others follow as its chain.
func pairKey(key crypto.PrivateKey, certs []*x509.Certificate) (*tls.Certificate, error) {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", key)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := signer.Public().(equaler)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot be matched to a certificate", key)
	}
	out := &tls.Certificate{PrivateKey: key}
	for _, c := range certs {
		if out.Leaf == nil && pub.Equal(c.PublicKey) {
			out.Leaf = c
			out.Certificate = append([][]byte{c.Raw}, out.Certificate...)
			continue
		}
		out.Certificate = append(out.Certificate, c.Raw)
	}
	if out.Leaf == nil {
		return nil, errors.New("no certificate matches the private key")
	}
	return out, nil
}

// jksCertificate loads the first private key entry of a JKS keystore.
func (o *Options) jksCertificate(data []byte, keyPassword string) (*tls.Certificate, error) {
	st, err := parseJKS(data, o.TLSKeyStorePassword)
	if err != nil {
		return nil, err
	}
	if len(st.keys) == 0 {
		return nil, errors.New("holds no private key entry")
	}
	k := st.keys[0]
	der, err := k.unprotect(keyPassword)
	if err != nil {
		return nil, fmt.Errorf("%w (ssl.key.password)", err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", k.alias, err)
	}
	if len(k.chain) == 0 {
		return nil, fmt.Errorf("key %q has no certificate", k.alias)
	}
	leaf, err := x509.ParseCertificate(k.chain[0])
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", k.alias, err)
	}
	return &tls.Certificate{Certificate: k.chain, PrivateKey: key, Leaf: leaf}, nil
}
