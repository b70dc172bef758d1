package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicedb/sluice/internal/logstore"
)

// sentinel returns the logstore error a Kafka error means, or nil when it
// has no logstore counterpart.
func sentinel(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kerr.TopicAlreadyExists):
		return logstore.ErrTopicExists
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
		return logstore.ErrUnknownTopic
	case errors.Is(err, kerr.InvalidTopicException):
		return logstore.ErrInvalidTopicName
	case errors.Is(err, kerr.InvalidPartitions):
		return logstore.ErrInvalidPartitions
	case errors.Is(err, kerr.OffsetOutOfRange):
		return logstore.ErrOffsetOutOfRange
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge):
		return logstore.ErrRecordTooLarge
	case errors.Is(err, kerr.ProducerFenced), errors.Is(err, kerr.InvalidProducerEpoch):
		return logstore.ErrFenced
	}
	return nil
}

// wrap adds context to err and, where Kafka's error has a logstore
// meaning, makes it comparable with that sentinel too.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	if s := sentinel(err); s != nil && !errors.Is(err, s) {
		return fmt.Errorf("kafka: %s: %w: %w", msg, s, err)
	}
	return fmt.Errorf("kafka: %s: %w", msg, err)
}

// ErrAuthentication is wrapped by Open's error when the brokers refuse
// the client's SASL credentials or its TLS certificate, or the client
// refuses the brokers' certificate: retrying will not help.
var ErrAuthentication = errors.New("authentication failed")

// explainConnect turns a failure to reach the cluster into a message that
// says which setting is at fault, naming the Kafka client property, the
// mechanism and the user, but never the password.
func explainConnect(err error, o *Options) error {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		opErr     *net.OpError
		header    tls.RecordHeaderError
	)
	auth := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %w", ErrAuthentication, fmt.Sprintf(format, args...), err)
	}
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed):
		return auth("SASL %s authentication of user %q failed; check the username and password in sasl.jaas.config", o.SASLMechanism, o.SASLUsername)
	case errors.Is(err, kerr.UnsupportedSaslMechanism):
		return auth("the broker does not enable SASL mechanism %s (sasl.mechanism)", o.SASLMechanism)
	case errors.As(err, &unknownCA):
		return auth("the broker's TLS certificate is not signed by a CA in the truststore (ssl.truststore.location)")
	case errors.As(err, &hostname):
		return auth("the broker's TLS certificate does not name the host dialled (an empty ssl.endpoint.identification.algorithm skips this check)")
	case errors.As(err, &invalid):
		return auth("the broker's TLS certificate is not valid")
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// crypto/tls reports a TLS alert from the peer this way; the
		// alert type itself is unexported.
		return auth("the broker refused the TLS handshake; a listener that requires a client certificate needs ssl.keystore.location")
	case errors.As(err, &header):
		return fmt.Errorf("the broker did not answer TLS; is the listener's security.protocol PLAINTEXT or SASL_PLAINTEXT? %w", err)
	case !o.tlsOn() && strings.Contains(err.Error(), "plaintext connection speaking to a tls endpoint"):
		// franz-go recognises a TLS alert where a Kafka response size
		// should be, but its error has no type to test for.
		return fmt.Errorf("the listener speaks TLS; set security.protocol to SSL or SASL_SSL: %w", err)
	case errors.Is(err, io.EOF) && o.SASLMechanism == "":
		return fmt.Errorf("the broker closed the connection, as a listener that wants SASL or TLS does with a plaintext client; check security.protocol: %w", err)
	}
	return err
}
