package op

import (
	"errors"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream"
)

// Chain is a task's processor: one Source per input, each feeding its
// operator chain, and closers for operators that hold resources.
type Chain struct {
	Sources []*Source
	Closers []func() error
	// Punctuators run when stream time advances.
	Punctuators []func(tc *stream.TaskContext, streamTime int64) error
}

// Process implements stream.Processor.
func (c *Chain) Process(tc *stream.TaskContext, input int, rec *logstore.Record) error {
	return c.Sources[input].Process(tc, rec)
}

// Punctuate implements stream.Punctuator.
func (c *Chain) Punctuate(tc *stream.TaskContext, streamTime int64) error {
	for _, p := range c.Punctuators {
		if err := p(tc, streamTime); err != nil {
			return err
		}
	}
	return nil
}

// Close implements stream.Processor.
func (c *Chain) Close() error {
	var errs []error
	for _, f := range c.Closers {
		errs = append(errs, f())
	}
	return errors.Join(errs...)
}
