package expr

import (
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/sql/ast"
)

// Error kinds, for errors.Is. Every error Compile returns is an *Error that
// matches exactly one of the compile-time kinds; every error Eval returns
// matches ErrEval.
var (
	// ErrType is a type error: an operator or construct applied to types
	// ksqlDB rejects.
	ErrType = errors.New("type error")
	// ErrUnknownColumn is a column or struct field that does not resolve.
	ErrUnknownColumn = errors.New("unknown column")
	// ErrFunction is an unknown function or one with no overload for the
	// argument types.
	ErrFunction = errors.New("function resolution failed")
	// ErrUnsupported is syntax the compiler does not handle in this
	// position (an unsubstituted variable, a bare lambda).
	ErrUnsupported = errors.New("unsupported expression")
	// ErrEval is a run-time failure of a compiled expression.
	ErrEval = errors.New("expression evaluation failed")
)

// Error is a compile error. Msg carries ksqlDB's wording without any
// position, so a caller that prefixes "Error in WHERE expression: " produces
// exactly ksqlDB's message; Pos locates the offending node for a caret.
type Error struct {
	Pos  ast.Pos
	Msg  string
	Kind error // one of the Err* kinds
	Err  error // the cause, if any
}

func (e *Error) Error() string { return e.Msg }

// Is matches the error's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Position returns "line:column" of the offending node.
func (e *Error) Position() string { return e.Pos.String() }

func typeErr(n ast.Node, format string, args ...any) *Error {
	return &Error{Pos: n.Position(), Msg: fmt.Sprintf(format, args...), Kind: ErrType}
}

// RuntimeError is a failure while evaluating a compiled expression. Msg is
// what ksqlDB's processing log would show for the same failure (often the
// Java exception message, such as "/ by zero").
type RuntimeError struct {
	Msg string
	Err error
}

func (e *RuntimeError) Error() string { return e.Msg }

// Is makes every RuntimeError match ErrEval.
func (e *RuntimeError) Is(target error) bool { return target == ErrEval }

// Unwrap returns the cause.
func (e *RuntimeError) Unwrap() error { return e.Err }

func evalErr(format string, args ...any) error {
	return &RuntimeError{Msg: fmt.Sprintf(format, args...)}
}

// errDivByZero is shared: it carries no per-record data, and building it
// once keeps the error path of integer division allocation-free.
var errDivByZero error = &RuntimeError{Msg: "/ by zero"}

// UnknownColumn returns the error a Scope should return for a name it does
// not know: ksqlDB's "Unknown column X." matching ErrUnknownColumn.
func UnknownColumn(qualifier, name string) error {
	if qualifier != "" {
		name = qualifier + "." + name
	}
	return &unknownColumnError{name: name}
}

type unknownColumnError struct{ name string }

func (e *unknownColumnError) Error() string        { return "Unknown column " + e.name + "." }
func (e *unknownColumnError) Is(target error) bool { return target == ErrUnknownColumn }
