package format

import (
	"errors"
	"fmt"
)

// Error kinds, for errors.Is. Every error this package returns matches one
// of them; its text is ksqlDB's wording where ksqlDB has one, because users
// and the conformance vectors read it.
var (
	// ErrUnknownFormat: the format name is not one Sluice knows.
	ErrUnknownFormat = errors.New("unknown format")
	// ErrUnsupported: the format cannot carry the columns, properties or
	// features asked of it.
	ErrUnsupported = errors.New("unsupported by format")
	// ErrSerialize: a row could not be encoded.
	ErrSerialize = errors.New("serialization failed")
	// ErrDeserialize: a record's bytes could not be decoded into the columns.
	ErrDeserialize = errors.New("deserialization failed")
	// ErrSchema: a registry schema could not be parsed, generated or mapped
	// onto the columns.
	ErrSchema = errors.New("schema error")
)

// Error is a format error: Msg is the user-facing text, Kind one of the Err*
// sentinels above, and Err the cause, if any.
type Error struct {
	Kind error
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Is matches the error's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func newErr(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// CoercionError is a value that does not fit its column's type. Path is
// ksqlDB's JSON-path-like location, e.g. "$.FOO[2].BAR".
type CoercionError struct {
	Msg  string
	Path string
}

func (e *CoercionError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Msg + ", path: " + e.Path
}

// deserErr wraps a decoding failure as ksqlDB reports it.
func deserErr(t *Target, err error) error {
	return &Error{Kind: ErrDeserialize,
		Msg: fmt.Sprintf("Failed to deserialize %s from topic: %s", t.what(), t.Topic), Err: err}
}

// serErr wraps an encoding failure as ksqlDB reports it.
func serErr(t *Target, err error) error {
	return &Error{Kind: ErrSerialize,
		Msg: fmt.Sprintf("Error serializing %s for topic: %s", t.what(), t.Topic), Err: err}
}

// convErr is Jackson-style "Can't convert type" for a JSON-ish source.
func convErr(source string, t string) error {
	return &CoercionError{Msg: fmt.Sprintf("Can't convert type. sourceType: %s, requiredType: %s", source, t)}
}
