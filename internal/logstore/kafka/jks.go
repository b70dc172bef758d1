package kafka

import (
	"bytes"
	"crypto/sha1"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// Java users hold their Kafka trust and key material in Java keystores:
// ssl.truststore.type and ssl.keystore.type default to JKS. This file
// reads the JKS (and JCEKS) layout, so that a ksqlDB configuration works
// without converting its stores. The layout, all big-endian:
//
//	magic (0xFEEDFEED JKS, 0xCECECECE JCEKS), version (1 or 2), count
//	count × entry: tag, alias (uint16-length UTF-8), creation time (ms)
//	  tag 1, private key: length-prefixed protected key, then the chain:
//	    count × certificate
//	  tag 2, trusted certificate: one certificate
//	  certificate: (version 2 only) type name, then length-prefixed DER
//	SHA-1(password as UTF-16BE ‖ "Mighty Aphrodite" ‖ everything above)

const (
	jksMagic   = 0xFEEDFEED
	jceksMagic = 0xCECECECE
)

// errNotJKS says the bytes are not a Java keystore of the JKS family.
var errNotJKS = errors.New("not a JKS keystore")

// jksStore is what a JKS file holds that TLS can use.
type jksStore struct {
	// trusted are the trusted certificate entries.
	trusted []*x509.Certificate
	// keys are the private key entries, still protected.
	keys []jksKey
}

// jksKey is a private key entry: the protected PKCS#8 key and its
// certificate chain, leaf first, as DER.
type jksKey struct {
	alias     string
	protected []byte
	chain     [][]byte
}

// isJKS reports whether data starts like a JKS or JCEKS keystore.
func isJKS(data []byte) bool {
	if len(data) < 4 {
		return false
	}
	m := binary.BigEndian.Uint32(data)
	return m == jksMagic || m == jceksMagic
}

// parseJKS decodes a JKS keystore. An empty password skips the integrity
// check, as Java does for a truststore opened without one.
func parseJKS(data []byte, password string) (*jksStore, error) {
	r := &jksReader{b: data}
	magic := r.u32()
	if magic != jksMagic && magic != jceksMagic {
		return nil, errNotJKS
	}
	version := r.u32()
	if version != 1 && version != 2 {
		return nil, fmt.Errorf("JKS version %d is not 1 or 2", version)
	}
	count := r.u32()
	st := &jksStore{}
	cert := func() []byte {
		if version == 2 {
			if typ := r.utf(); r.err == nil && typ != "X.509" {
				r.fail(fmt.Errorf("certificate type %q is not X.509", typ))
			}
		}
		return r.bytes(r.u32())
	}
	for i := uint32(0); i < count && r.err == nil; i++ {
		tag := r.u32()
		alias := r.utf()
		r.skip(8) // creation time
		switch tag {
		case 1:
			k := jksKey{alias: alias, protected: r.bytes(r.u32())}
			n := r.u32()
			for j := uint32(0); j < n && r.err == nil; j++ {
				k.chain = append(k.chain, cert())
			}
			st.keys = append(st.keys, k)
		case 2:
			der := cert()
			if r.err != nil {
				break
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("entry %q: %w", alias, err)
			}
			st.trusted = append(st.trusted, c)
		case 3:
			// A JCEKS secret key is a serialized Java object, with no
			// length to skip it by; TLS has no use for it anyway.
			return nil, fmt.Errorf("entry %q is a secret key, which a truststore or keystore for TLS does not hold", alias)
		default:
			return nil, fmt.Errorf("entry %q has unknown tag %d", alias, tag)
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("truncated or corrupt JKS keystore: %w", r.err)
	}
	body := data[:r.off]
	sum := r.bytes(sha1.Size)
	if r.err != nil {
		return nil, errors.New("JKS keystore has no integrity digest")
	}
	if password != "" {
		h := sha1.New()
		h.Write(javaPassword(password))
		h.Write([]byte("Mighty Aphrodite"))
		h.Write(body)
		if subtle.ConstantTimeCompare(h.Sum(nil), sum) != 1 {
			return nil, errors.New("JKS keystore password is wrong, or the keystore was tampered with")
		}
	}
	return st, nil
}

// javaPassword encodes a password as Java's keystores hash it: UTF-16BE.
func javaPassword(p string) []byte {
	u := utf16.Encode([]rune(p))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.BigEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// oidSunKeyProtector is the algorithm of a private key protected by JKS's
// own scheme (sun.security.provider.KeyProtector).
var oidSunKeyProtector = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 42, 2, 17, 1, 1}

// unprotect recovers the PKCS#8 DER of a JKS private key. The protected
// form is an EncryptedPrivateKeyInfo under Sun's scheme: a 20-byte salt,
// the key XORed with a SHA-1 chain keyed by the password, and a SHA-1 of
// the password and the plain key to check it.
func (k jksKey) unprotect(password string) ([]byte, error) {
	var info struct {
		Algo struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		Data []byte
	}
	if _, err := asn1.Unmarshal(k.protected, &info); err != nil {
		return nil, fmt.Errorf("key %q: %w", k.alias, err)
	}
	if !info.Algo.Algorithm.Equal(oidSunKeyProtector) {
		return nil, fmt.Errorf("key %q is protected with %v, not the JKS key protector", k.alias, info.Algo.Algorithm)
	}
	d := info.Data
	if len(d) < 2*sha1.Size {
		return nil, fmt.Errorf("key %q: protected key too short", k.alias)
	}
	salt, enc, check := d[:sha1.Size], d[sha1.Size:len(d)-sha1.Size], d[len(d)-sha1.Size:]
	pw := javaPassword(password)
	plain := make([]byte, len(enc))
	digest := salt
	for off := 0; off < len(enc); off += sha1.Size {
		h := sha1.New()
		h.Write(pw)
		h.Write(digest)
		digest = h.Sum(nil)
		for i := 0; i < sha1.Size && off+i < len(enc); i++ {
			plain[off+i] = enc[off+i] ^ digest[i]
		}
	}
	h := sha1.New()
	h.Write(pw)
	h.Write(plain)
	if !bytes.Equal(h.Sum(nil), check) {
		return nil, fmt.Errorf("key %q: wrong key password", k.alias)
	}
	return plain, nil
}

// jksReader reads big-endian fields, remembering the first error so that
// parsing code can check once.
type jksReader struct {
	b   []byte
	off int
	err error
}

var errShort = errors.New("unexpected end of data")

func (r *jksReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *jksReader) bytes(n uint32) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(r.b)-r.off) {
		r.fail(errShort)
		return nil
	}
	out := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return out
}

func (r *jksReader) skip(n uint32) { r.bytes(n) }

func (r *jksReader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// utf reads Java's writeUTF: a uint16 length and (modified) UTF-8.
func (r *jksReader) utf() string {
	b := r.bytes(2)
	if b == nil {
		return ""
	}
	return string(r.bytes(uint32(binary.BigEndian.Uint16(b))))
}
