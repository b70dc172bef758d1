package scalar_test

import (
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func benchCall(b *testing.B, name string, argTypes []*types.Type, args []value.Value) {
	r := newRegistry(b)
	res, err := r.ResolveScalar(name, argTypes)
	if err != nil {
		b.Fatal(err)
	}
	scratch := make([]value.Value, len(args))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		copy(scratch, args)
		if _, err := res.Call(scratch, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSubstring(b *testing.B) {
	benchCall(b, "substring", []*types.Type{types.StringType, types.IntType, types.IntType},
		[]value.Value{value.String("the quick brown fox jumps over the lazy dog"), value.Int(5), value.Int(11)})
}

func BenchmarkSubstringUnicode(b *testing.B) {
	benchCall(b, "substring", []*types.Type{types.StringType, types.IntType, types.IntType},
		[]value.Value{value.String("þe quick brøwn fox jumps øver the lazy døg"), value.Int(5), value.Int(11)})
}

func BenchmarkConcat(b *testing.B) {
	benchCall(b, "concat", []*types.Type{types.StringType, types.StringType, types.StringType},
		[]value.Value{value.String("customer-"), value.String("42"), value.String("-eu")})
}

func BenchmarkFormatTimestamp(b *testing.B) {
	benchCall(b, "format_timestamp", []*types.Type{types.TimestampType, types.StringType},
		[]value.Value{value.Timestamp(1526075913123), value.String("yyyy-MM-dd'T'HH:mm:ss.SSS")})
}

func BenchmarkTimestampToStringZone(b *testing.B) {
	benchCall(b, "timestamptostring", []*types.Type{types.BigintType, types.StringType, types.StringType},
		[]value.Value{value.Bigint(1526075913123), value.String("yyyy-MM-dd HH:mm:ss zzz"), value.String("America/Los_Angeles")})
}

func BenchmarkParseTimestamp(b *testing.B) {
	benchCall(b, "parse_timestamp", []*types.Type{types.StringType, types.StringType},
		[]value.Value{value.String("2018-05-11T21:58:33.123"), value.String("yyyy-MM-dd'T'HH:mm:ss.SSS")})
}

func BenchmarkResolve(b *testing.B) {
	r := newRegistry(b)
	args := []*types.Type{types.StringType, types.IntType, types.IntType}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ResolveScalar("substring", args); err != nil {
			b.Fatal(err)
		}
	}
}

var _ = function.Widen
