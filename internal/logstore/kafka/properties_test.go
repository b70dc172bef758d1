package kafka

import (
	"crypto/ecdsa"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/testsvc"
)

func TestFromProperties(t *testing.T) {
	dir := t.TempDir()
	pki, err := testsvc.NewTestPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	const jaasPlain = `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr\"et";`
	const jaasScram = `org.apache.kafka.common.security.scram.ScramLoginModule required
	    username=alice password="p w";`
	base := map[string]string{"bootstrap.servers": "a:9092, b:9092"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name  string
		props map[string]string
		check func(t *testing.T, o Options)
		want  string // error substring; "" means valid
	}{
		{"plaintext", with(), func(t *testing.T, o Options) {
			if len(o.BootstrapServers) != 2 || o.BootstrapServers[1] != "b:9092" || o.tlsOn() || o.SASLMechanism != "" {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"prefixed wins", with("ksql.streams.bootstrap.servers", "c:1", "ksql.streams.client.id", "me"), func(t *testing.T, o Options) {
			if len(o.BootstrapServers) != 1 || o.BootstrapServers[0] != "c:1" || o.ClientID != "me" {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"sasl plain", with("security.protocol", "sasl_plaintext", "sasl.mechanism", "PLAIN", "sasl.jaas.config", jaasPlain), func(t *testing.T, o Options) {
			if o.SASLMechanism != SASLPlain || o.SASLUsername != "alice" || o.SASLPassword != `s3cr"et` || o.tlsOn() {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"sasl_ssl scram", with("ksql.streams.security.protocol", "SASL_SSL", "ksql.streams.sasl.mechanism", "SCRAM-SHA-512",
			"ksql.streams.sasl.jaas.config", jaasScram, "ksql.streams.ssl.truststore.location", pki.CAFile), func(t *testing.T, o Options) {
			if o.SASLMechanism != SASLScramSHA512 || o.SASLUsername != "alice" || o.SASLPassword != "p w" || !o.TLS || o.TLSCAFile != pki.CAFile {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"librdkafka credentials", with("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256",
			"sasl.username", "u", "sasl.password", "p"), func(t *testing.T, o Options) {
			if o.SASLUsername != "u" || o.SASLPassword != "p" {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"sasl ignored on plaintext", with("sasl.mechanism", "PLAIN", "sasl.jaas.config", jaasPlain), func(t *testing.T, o Options) {
			if o.SASLMechanism != "" {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"pem keystore", with("security.protocol", "SSL", "ssl.keystore.type", "PEM", "ssl.keystore.location", pki.ClientFile,
			"ssl.truststore.type", "PEM", "ssl.truststore.location", pki.CAFile), func(t *testing.T, o Options) {
			cfg, err := o.tlsConfig()
			if err != nil || len(cfg.Certificates) != 1 || cfg.RootCAs == nil {
				t.Errorf("tlsConfig = %v, %v", cfg, err)
			}
		}, ""},
		{"no hostname check", with("security.protocol", "SSL", "ssl.endpoint.identification.algorithm", ""), func(t *testing.T, o Options) {
			if !o.TLSNoHostnameCheck {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"hostname check by default", with("security.protocol", "SSL"), func(t *testing.T, o Options) {
			if o.TLSNoHostnameCheck {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"bad protocol", with("security.protocol", "TLS"), nil, "security.protocol"},
		{"no mechanism", with("security.protocol", "SASL_SSL"), nil, "GSSAPI"},
		{"kerberos", with("security.protocol", "SASL_SSL", "sasl.mechanism", "GSSAPI"), nil, "sasl.mechanism \"GSSAPI\" is not supported"},
		{"no credentials", with("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN"), nil, "needs sasl.jaas.config"},
		{"module mismatch", with("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config", jaasPlain), func(t *testing.T, o Options) {
			if o.SASLMechanism != SASLScramSHA256 || o.SASLUsername != "alice" {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"kerberos module", with("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
			"sasl.jaas.config", `com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;`), nil, "gives no username and password"},
		{"jaas without password", with("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
			"sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required username="u";`), nil, "must set username and password"},
		{"jaas unterminated", with("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
			"sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="secret`), nil, "not closed"},
		{"bad truststore type", with("security.protocol", "SSL", "ssl.truststore.type", "BKS"), nil, "ssl.truststore.type"},
		{"bad keystore type", with("security.protocol", "SSL", "ssl.keystore.type", "BKS"), nil, "ssl.keystore.type"},
		{"inline certs need PEM", with("security.protocol", "SSL", "ssl.truststore.certificates", "-----BEGIN"), nil, "ssl.truststore.type=PEM"},
		{"bad endpoint algorithm", with("security.protocol", "SSL", "ssl.endpoint.identification.algorithm", "ldap"), nil, "ssl.endpoint.identification.algorithm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := FromProperties(tc.props, quietLogger())
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalidOptions) {
					t.Fatalf("FromProperties = %v, want ErrInvalidOptions mentioning %q", err, tc.want)
				}
				for _, secret := range []string{"secret", "s3cr"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q quotes a password", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := o.EnsureDefaults().Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			tc.check(t, o)
		})
	}
}

func TestParseJAAS(t *testing.T) {
	tests := []struct {
		in     string
		module string
		opts   map[string]string
		err    string
	}{
		{`a.B required;`, "a.B", map[string]string{}, ""},
		{`a.B required x=1 y="two words" z="q\"\\";`, "a.B", map[string]string{"x": "1", "y": "two words", "z": `q"\`}, ""},
		{"a.B  Optional\n\tusername = \"u\"\n password=\"p\" ;", "a.B", map[string]string{"username": "u", "password": "p"}, ""},
		{`a.B required`, "", nil, "want"},
		{`a.B always x=1;`, "", nil, "flag"},
		{`a.B required x;`, "", nil, "not name=value"},
		{`a.B required; c.D required;`, "", nil, "more than one"},
		{`"a.B" required;`, "", nil, "login module class"},
	}
	for _, tc := range tests {
		module, opts, err := parseJAAS(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseJAAS(%q) = %v, want error with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || module != tc.module || len(opts) != len(tc.opts) {
			t.Errorf("parseJAAS(%q) = %q %v %v", tc.in, module, opts, err)
			continue
		}
		for k, v := range tc.opts {
			if opts[k] != v {
				t.Errorf("parseJAAS(%q)[%s] = %q, want %q", tc.in, k, opts[k], v)
			}
		}
	}
}

// TestJKSKeystore reads a keystore and a truststore made by the JDK's
// keytool: the client key and chain out of the first, the CA out of the
// second, and refuses a wrong password for each.
func TestJKSKeystore(t *testing.T) {
	if _, err := exec.LookPath("keytool"); err != nil {
		t.Fatal("keytool (from the JDK the test services use) is not on PATH")
	}
	dir := t.TempDir()
	ks := filepath.Join(dir, "client.jks")
	out, err := exec.Command("keytool", "-genkeypair", "-storetype", "JKS", "-keystore", ks, "-storepass", "storepw",
		"-keypass", "keypass", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=client",
		"-validity", "2").CombinedOutput()
	if err != nil {
		t.Fatalf("keytool: %v\n%s", err, out)
	}
	o := Options{TLSKeyStoreFile: ks, TLSKeyStorePassword: "storepw", TLSKeyPassword: "keypass"}
	c, err := o.clientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := c.Leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(c.PrivateKey.(*ecdsa.PrivateKey).Public()) || c.Leaf.Subject.CommonName != "client" {
		t.Fatalf("key and certificate do not match: %+v", c.Leaf.Subject)
	}
	o.TLSKeyPassword = "wrong"
	if _, err := o.clientCertificate(); err == nil || !strings.Contains(err.Error(), "ssl.key.password") {
		t.Errorf("wrong key password: %v", err)
	}
	o.TLSKeyPassword, o.TLSKeyStorePassword = "keypass", "wrong"
	if _, err := o.clientCertificate(); err == nil || !strings.Contains(err.Error(), "password is wrong") {
		t.Errorf("wrong store password: %v", err)
	}

	pki, err := testsvc.NewTestPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := filepath.Join(dir, "trust.jks")
	out, err = exec.Command("keytool", "-importcert", "-noprompt", "-storetype", "JKS", "-keystore", ts,
		"-storepass", "changeit", "-alias", "ca", "-file", pki.CAFile).CombinedOutput()
	if err != nil {
		t.Fatalf("keytool: %v\n%s", err, out)
	}
	data, err := os.ReadFile(ts)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := readTrustStore(data, "")
	if err != nil || len(certs) != 1 || certs[0].Subject.CommonName != "sluice test CA" {
		t.Fatalf("truststore without password: %v %v", certs, err)
	}
	if _, err := readTrustStore(data, "nope"); err == nil {
		t.Error("wrong truststore password accepted")
	}
}

// TestPKCS12Stores reads PKCS12 stores as the JDK's keytool and OpenSSL
// write them: a truststore in today's format (PBES2, AES), and a client
// keystore; a legacy (RC2) truststore gets advice.
func TestPKCS12Stores(t *testing.T) {
	for _, tool := range []string{"keytool", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH; the test needs it to write the stores Java users have", tool)
		}
	}
	dir := t.TempDir()
	pki, err := testsvc.NewTestPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	// keytool's default type since Java 9, whatever the file is named; and
	// the legacy encryption, which Sluice refuses with advice.
	modern := filepath.Join(dir, "truststore.jks")
	run("keytool", "-importcert", "-noprompt", "-keystore", modern, "-storepass", "changeit", "-alias", "ca", "-file", pki.CAFile)
	legacy := filepath.Join(dir, "legacy.p12")
	run("keytool", "-J-Dkeystore.pkcs12.legacy", "-importcert", "-noprompt", "-storetype", "PKCS12", "-keystore", legacy,
		"-storepass", "changeit", "-alias", "ca", "-file", pki.CAFile)
	for _, store := range []string{modern, legacy} {
		data, err := os.ReadFile(store)
		if store == legacy {
			if _, err := readTrustStore(data, "changeit"); err == nil || !strings.Contains(err.Error(), "keytool -importkeystore") {
				t.Errorf("legacy truststore: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if isJKS(data) {
			t.Fatalf("%s is JKS; keytool was expected to write PKCS12", store)
		}
		certs, err := readTrustStore(data, "changeit")
		if err != nil || len(certs) != 1 || certs[0].Subject.CommonName != "sluice test CA" {
			t.Errorf("%s: %v %v", filepath.Base(store), certs, err)
		}
		if _, err := readTrustStore(data, "wrong"); err == nil {
			t.Errorf("%s: wrong password accepted", filepath.Base(store))
		}
	}

	ks := filepath.Join(dir, "client.p12")
	run("openssl", "pkcs12", "-export", "-in", pki.ClientCertFile, "-inkey", pki.ClientKeyFile, "-certfile", pki.CAFile,
		"-name", "client", "-out", ks, "-passout", "pass:storepw")
	o, err := FromProperties(map[string]string{"bootstrap.servers": "a:1", "security.protocol": "SSL",
		"ssl.keystore.type": "PKCS12", "ssl.keystore.location": ks, "ssl.keystore.password": "storepw"}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	c, err := o.clientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if c.Leaf.Subject.CommonName != "sluice-client" || len(c.Certificate) != 2 {
		t.Errorf("keystore gave leaf %q and %d certificates", c.Leaf.Subject.CommonName, len(c.Certificate))
	}
	o.TLSKeyStorePassword = "wrong"
	if _, err := o.clientCertificate(); err == nil || !strings.Contains(err.Error(), "ssl.keystore.password") {
		t.Errorf("wrong keystore password: %v", err)
	}
}

func FuzzParsePKCS12(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x03})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parseModernPKCS12(data, "pw")
	})
}

func FuzzParseJKS(f *testing.F) {
	f.Add([]byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 'a'})
	f.Add([]byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseJKS(data, "pw")
		if err == nil {
			for _, k := range st.keys {
				_, _ = k.unprotect("pw")
			}
		}
	})
}

func FuzzParseJAAS(f *testing.F) {
	f.Add(`org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`)
	f.Add(`a required x="\`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _ = parseJAAS(s)
	})
}
