package main

import (
	"flag"
	"io"
)

// newFlagSet returns a flag set that reports errors and usage to stderr and
// never exits, so run can map a bad flag to exit code 2 itself.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sluice "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
