package registry

import (
	"errors"
	"fmt"
	"net/http"
)

// Confluent Schema Registry error codes. The HTTP status is the code's
// first three digits (40401 → 404), except for the plain HTTP codes.
const (
	CodeSubjectNotFound           = 40401
	CodeVersionNotFound           = 40402
	CodeSchemaNotFound            = 40403
	CodeSubjectSoftDeleted        = 40404
	CodeSubjectNotSoftDeleted     = 40405
	CodeVersionSoftDeleted        = 40406
	CodeVersionNotSoftDeleted     = 40407
	CodeSubjectLevelCompatNotSet  = 40408
	CodeSubjectLevelModeNotSet    = 40409
	CodeIncompatibleSchema        = 409
	CodeInvalidSchema             = 42201
	CodeInvalidVersion            = 42202
	CodeInvalidCompatibilityLevel = 42203
	CodeInvalidMode               = 42204
	CodeOperationNotPermitted     = 42205
	CodeReferenceExists           = 42206
	CodeStoreError                = 50001
	CodeOperationTimeout          = 50002
	CodeUnprocessableEntity       = 422
	CodeBadRequest                = 400
	CodeNotFound                  = 404
	CodeUnauthorized              = 401
	CodeInternal                  = 500
	codeMethodNotAllowed          = 405
	codeInvalidSubject            = 42208
)

// Error is a registry error with Confluent's code and message. Errors from
// the embedded registry and from a remote one decode to the same values.
type Error struct {
	Code    int
	Message string
	// Err is the underlying cause, when there is one (a store failure).
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("schema registry: %s (%d): %v", e.Message, e.Code, e.Err)
	}
	return fmt.Sprintf("schema registry: %s (%d)", e.Message, e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches any *Error with the same code, so callers can write
// errors.Is(err, registry.ErrSubjectNotFound).
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// Status is the HTTP status the REST API answers with for e.
func (e *Error) Status() int { return statusForCode(e.Code) }

func statusForCode(code int) int {
	switch {
	case code >= 10000:
		return code / 100
	case code >= 100 && code < 600:
		return code
	}
	return http.StatusInternalServerError
}

func newError(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for errors.Is; only the code is compared.
var (
	ErrSubjectNotFound       = &Error{Code: CodeSubjectNotFound, Message: "Subject not found"}
	ErrVersionNotFound       = &Error{Code: CodeVersionNotFound, Message: "Version not found"}
	ErrSchemaNotFound        = &Error{Code: CodeSchemaNotFound, Message: "Schema not found"}
	ErrSubjectSoftDeleted    = &Error{Code: CodeSubjectSoftDeleted, Message: "Subject was soft deleted"}
	ErrSubjectNotSoftDeleted = &Error{Code: CodeSubjectNotSoftDeleted, Message: "Subject was not deleted first"}
	ErrVersionSoftDeleted    = &Error{Code: CodeVersionSoftDeleted, Message: "Version was soft deleted"}
	ErrVersionNotSoftDeleted = &Error{Code: CodeVersionNotSoftDeleted, Message: "Version was not deleted first"}
	ErrSubjectCompatNotSet   = &Error{Code: CodeSubjectLevelCompatNotSet, Message: "Subject does not have subject-level compatibility configured"}
	ErrIncompatibleSchema    = &Error{Code: CodeIncompatibleSchema, Message: "Incompatible schema"}
	ErrInvalidSchema         = &Error{Code: CodeInvalidSchema, Message: "Invalid schema"}
	ErrInvalidVersion        = &Error{Code: CodeInvalidVersion, Message: "Invalid version"}
	ErrInvalidCompatibility  = &Error{Code: CodeInvalidCompatibilityLevel, Message: "Invalid compatibility level"}
	ErrReferenceExists       = &Error{Code: CodeReferenceExists, Message: "Reference exists"}
	ErrStore                 = &Error{Code: CodeStoreError, Message: "Store error"}
	ErrUnauthorized          = &Error{Code: CodeUnauthorized, Message: "Unauthorized"}
	ErrOperationNotPermitted = &Error{Code: CodeOperationNotPermitted, Message: "Operation not permitted"}
)

func invalidSubject(subject string) *Error {
	return newError(codeInvalidSubject, "The specified subject '%s' is not valid.", subject)
}

func subjectNotFound(subject string) *Error {
	return newError(CodeSubjectNotFound, "Subject '%s' not found.", subject)
}

func versionNotFound(version int) *Error {
	return newError(CodeVersionNotFound, "Version %d not found.", version)
}

func schemaIDNotFound(id int) *Error {
	return newError(CodeSchemaNotFound, "Schema %d not found", id)
}

func invalidVersion(v string) *Error {
	return newError(CodeInvalidVersion,
		"The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", v)
}

func invalidSchema(err error) *Error {
	return &Error{Code: CodeInvalidSchema, Message: "Invalid schema " + err.Error()}
}

func storeError(err error) *Error {
	return &Error{Code: CodeStoreError, Message: "Error while storing the schema in the backend store", Err: err}
}
