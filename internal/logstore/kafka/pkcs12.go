package kafka

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"

	"github.com/youmark/pkcs8"
	"golang.org/x/crypto/pkcs12"
)

// Since Java 9 keytool writes PKCS12 unless told otherwise, so a Java
// user's "truststore.jks" is often PKCS12 inside. This file reads the
// stores keytool writes: the structure (RFC 7292) with encoding/asn1; bags
// encrypted with PBES2 (PBKDF2 and AES, Java's default since 8u301 and
// 11.0.12) here; stores with the legacy RC2 and 3DES schemes through
// x/crypto/pkcs12, which reads those and nothing newer. The MAC of a
// PBES2-era store (HMAC with a PKCS12-derived key over SHA-256) is not
// checked: a wrong password still fails, on the first encrypted bag.

var (
	oidData              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidCertBag           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidShroudedKeyBag    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidKeyBag            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 1}
	oidX509Certificate   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}
	oidPBES2             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACWithSHA1      = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACWithSHA256    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACWithSHA384    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACWithSHA512    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidLegacyPBEPrefix12 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1}
)

type p12ContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type p12PFX struct {
	Version  int
	AuthSafe p12ContentInfo
	MacData  asn1.RawValue `asn1:"optional"`
}

type p12Algorithm struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type p12EncryptedData struct {
	Version              int
	EncryptedContentInfo struct {
		ContentType                asn1.ObjectIdentifier
		ContentEncryptionAlgorithm p12Algorithm
		EncryptedContent           []byte `asn1:"tag:0,optional"`
	}
}

type p12SafeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue `asn1:"tag:0,explicit"`
	Attributes asn1.RawValue `asn1:"optional"`
}

type p12CertBag struct {
	ID   asn1.ObjectIdentifier
	Data []byte `asn1:"tag:0,explicit"`
}

// p12Store is what a PKCS12 file holds that TLS can use.
type p12Store struct {
	certs []*x509.Certificate
	keys  []crypto.PrivateKey
}

// errLegacyPKCS12 says a store uses the pre-PBES2 schemes.
var errLegacyPKCS12 = errors.New("legacy PKCS12 encryption")

// parsePKCS12 decodes a PKCS12 store.
func parsePKCS12(data []byte, password string) (*p12Store, error) {
	st, err := parseModernPKCS12(data, password)
	if errors.Is(err, errLegacyPKCS12) {
		return parseLegacyPKCS12(data, password)
	}
	return st, err
}

func parseModernPKCS12(data []byte, password string) (*p12Store, error) {
	var pfx p12PFX
	if rest, err := asn1.Unmarshal(data, &pfx); err != nil {
		return nil, fmt.Errorf("not a PKCS12 store: %w", err)
	} else if len(rest) > 0 {
		return nil, errors.New("not a PKCS12 store: trailing data")
	}
	if pfx.Version != 3 || !pfx.AuthSafe.ContentType.Equal(oidData) {
		return nil, fmt.Errorf("unsupported PKCS12 store (version %d, content %v)", pfx.Version, pfx.AuthSafe.ContentType)
	}
	var authSafe []byte
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil {
		return nil, fmt.Errorf("PKCS12 authenticated safe: %w", err)
	}
	var infos []p12ContentInfo
	if _, err := asn1.Unmarshal(authSafe, &infos); err != nil {
		return nil, fmt.Errorf("PKCS12 authenticated safe: %w", err)
	}
	st := &p12Store{}
	for _, ci := range infos {
		var contents []byte
		switch {
		case ci.ContentType.Equal(oidData):
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &contents); err != nil {
				return nil, fmt.Errorf("PKCS12 safe contents: %w", err)
			}
		case ci.ContentType.Equal(oidEncryptedData):
			var ed p12EncryptedData
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil {
				return nil, fmt.Errorf("PKCS12 encrypted data: %w", err)
			}
			alg := ed.EncryptedContentInfo.ContentEncryptionAlgorithm
			if !alg.Algorithm.Equal(oidPBES2) {
				if isLegacyPBE(alg.Algorithm) {
					return nil, errLegacyPKCS12
				}
				return nil, fmt.Errorf("PKCS12 encryption %v is not supported", alg.Algorithm)
			}
			plain, err := decryptPBES2(alg.Parameters.FullBytes, ed.EncryptedContentInfo.EncryptedContent, []byte(password))
			if err != nil {
				return nil, err
			}
			contents = plain
		default:
			return nil, fmt.Errorf("PKCS12 content type %v is not supported", ci.ContentType)
		}
		var bags []p12SafeBag
		if _, err := asn1.Unmarshal(contents, &bags); err != nil {
			return nil, fmt.Errorf("PKCS12 safe bags (wrong password?): %w", err)
		}
		for _, b := range bags {
			switch {
			case b.ID.Equal(oidCertBag):
				var cb p12CertBag
				if _, err := asn1.Unmarshal(b.Value.Bytes, &cb); err != nil {
					return nil, fmt.Errorf("PKCS12 certificate bag: %w", err)
				}
				if !cb.ID.Equal(oidX509Certificate) {
					continue
				}
				c, err := x509.ParseCertificate(cb.Data)
				if err != nil {
					return nil, fmt.Errorf("PKCS12 certificate: %w", err)
				}
				st.certs = append(st.certs, c)
			case b.ID.Equal(oidShroudedKeyBag):
				var alg struct{ Algo p12Algorithm }
				if _, err := asn1.Unmarshal(b.Value.Bytes, &alg); err == nil && isLegacyPBE(alg.Algo.Algorithm) {
					return nil, errLegacyPKCS12
				}
				k, err := pkcs8.ParsePKCS8PrivateKey(b.Value.Bytes, []byte(password))
				if err != nil {
					return nil, fmt.Errorf("PKCS12 private key (ssl.key.password?): %w", err)
				}
				st.keys = append(st.keys, k)
			case b.ID.Equal(oidKeyBag):
				k, err := x509.ParsePKCS8PrivateKey(b.Value.Bytes)
				if err != nil {
					return nil, fmt.Errorf("PKCS12 private key: %w", err)
				}
				st.keys = append(st.keys, k)
			}
		}
	}
	return st, nil
}

func isLegacyPBE(oid asn1.ObjectIdentifier) bool {
	return len(oid) == len(oidLegacyPBEPrefix12)+1 && oid[:len(oidLegacyPBEPrefix12)].Equal(oidLegacyPBEPrefix12)
}

// parseLegacyPKCS12 reads a store with RC2 or 3DES encryption and a SHA-1
// MAC, as Java wrote them before 8u301 and OpenSSL before 3.0.
func parseLegacyPKCS12(data []byte, password string) (*p12Store, error) {
	blocks, err := pkcs12.ToPEM(data, password)
	if err != nil {
		// x/crypto reads only the key-and-certificate layout of such
		// stores, not a truststore of certificates alone.
		return nil, fmt.Errorf("this PKCS12 store uses the legacy RC2/3DES encryption of Java before 8u301, "+
			"which Sluice reads only for a key with its chain; re-save it with a current keytool "+
			"(keytool -importkeystore -srckeystore OLD -destkeystore NEW -deststoretype PKCS12) or export PEM: %w", err)
	}
	st := &p12Store{}
	for _, b := range blocks {
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("PKCS12 certificate: %w", err)
			}
			st.certs = append(st.certs, c)
		case "PRIVATE KEY":
			k, err := parseAnyKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("PKCS12 private key: %w", err)
			}
			st.keys = append(st.keys, k)
		}
	}
	return st, nil
}

// parseAnyKey reads a DER private key in PKCS#8, PKCS#1 or SEC 1 form.
func parseAnyKey(der []byte) (crypto.PrivateKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return x509.ParseECPrivateKey(der)
}

// decryptPBES2 decrypts PBES2 (RFC 8018) content: PBKDF2 with an HMAC,
// then AES-CBC with PKCS#7 padding. The password is its UTF-8 bytes, as
// Java and OpenSSL both use for PBES2 in PKCS12.
func decryptPBES2(params, ciphertext, password []byte) ([]byte, error) {
	var p struct {
		KDF    p12Algorithm
		Scheme p12Algorithm
	}
	if _, err := asn1.Unmarshal(params, &p); err != nil {
		return nil, fmt.Errorf("PBES2 parameters: %w", err)
	}
	if !p.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("PBES2 key derivation %v is not PBKDF2", p.KDF.Algorithm)
	}
	var kdf struct {
		Salt       []byte
		Iterations int
		KeyLength  int          `asn1:"optional"`
		PRF        p12Algorithm `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(p.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("PBKDF2 parameters: %w", err)
	}
	if kdf.Iterations <= 0 || kdf.Iterations > 10_000_000 {
		return nil, fmt.Errorf("PBKDF2 iteration count %d out of range", kdf.Iterations)
	}
	var h func() hash.Hash
	switch prf := kdf.PRF.Algorithm; {
	case len(prf) == 0 || prf.Equal(oidHMACWithSHA1):
		h = sha1.New
	case prf.Equal(oidHMACWithSHA256):
		h = sha256.New
	case prf.Equal(oidHMACWithSHA384):
		h = sha512.New384
	case prf.Equal(oidHMACWithSHA512):
		h = sha512.New
	default:
		return nil, fmt.Errorf("PBKDF2 function %v is not supported", prf)
	}
	var keyLen int
	switch s := p.Scheme.Algorithm; {
	case s.Equal(oidAES128CBC):
		keyLen = 16
	case s.Equal(oidAES192CBC):
		keyLen = 24
	case s.Equal(oidAES256CBC):
		keyLen = 32
	default:
		return nil, fmt.Errorf("PBES2 cipher %v is not supported", s)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(p.Scheme.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, errors.New("PBES2 AES initialisation vector is malformed")
	}
	if len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, errors.New("PBES2 ciphertext is not whole AES blocks")
	}
	key, err := pbkdf2.Key(h, string(password), kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, fmt.Errorf("PBKDF2: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ciphertext)
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(plain) {
		return nil, errors.New("PKCS12 decryption failed: wrong password")
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, errors.New("PKCS12 decryption failed: wrong password")
		}
	}
	return plain[:len(plain)-pad], nil
}
