package logstore

import "fmt"

// MaxTopicNameLen is Kafka's limit on a topic name's length.
const MaxTopicNameLen = 249

// ValidateTopicName applies Kafka's rules for topic names: 1 to 249
// characters from [a-zA-Z0-9._-], and neither "." nor "..". Backends call it
// before touching storage so that a name that works on the embedded log also
// works on a Kafka cluster. The error wraps ErrInvalidTopicName.
func ValidateTopicName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: name is empty", ErrInvalidTopicName)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q is reserved", ErrInvalidTopicName, name)
	case len(name) > MaxTopicNameLen:
		return fmt.Errorf("%w: %d characters, at most %d allowed", ErrInvalidTopicName, len(name), MaxTopicNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		legal := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !legal {
			return fmt.Errorf("%w: %q contains %q; legal characters are ASCII alphanumerics, '.', '_' and '-'", ErrInvalidTopicName, name, c)
		}
	}
	return nil
}
