package builtin_test

import (
	"testing"

	"github.com/sluicedb/sluice/internal/function/builtin"
)

// The conformance runner builds a registry per test, so construction must
// stay cheap.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		builtin.New()
	}
}
