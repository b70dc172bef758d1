package format

import (
	"context"
	"runtime"
	"testing"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// benchCols is a typical 10-column record: ids, names, amounts, a time.
func benchCols() []Column {
	return cols("ORDER_ID", types.BigintType, "CUSTOMER_ID", types.IntType, "NAME", types.StringType,
		"CITY", types.StringType, "AMOUNT", types.DoubleType, "PRICE", types.MustDecimal(10, 2),
		"QTY", types.IntType, "ACTIVE", types.BooleanType, "TS", types.TimestampType, "NOTE", types.StringType)
}

func benchRow() []value.Value {
	return []value.Value{value.Bigint(1234567890), value.Int(42), value.String("Ada Lovelace"),
		value.String("London"), value.Double(1234.5), value.DecimalInt64(99999, 2), value.Int(3),
		value.Bool(true), value.Timestamp(1600000000000), value.String("leave at the door")}
}

func benchFormat(b *testing.B, name string) (Serializer, Deserializer) {
	var reg Registry
	if name == Avro || name == Protobuf {
		reg, _ = newTestRegistry(b)
	}
	f := mustFormat(b, name, nil, reg)
	tg := Target{Topic: "bench", Columns: benchCols()}
	s, err := f.Serializer(context.Background(), tg)
	if err != nil {
		b.Fatal(err)
	}
	d, err := f.Deserializer(context.Background(), tg)
	if err != nil {
		b.Fatal(err)
	}
	return s, d
}

// BenchmarkDecode reports ns and allocations per 10-column record, reusing
// the destination row as a task's loop does.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{JSON, Avro, Protobuf, Delimited} {
		b.Run(name, func(b *testing.B) {
			s, d := benchFormat(b, name)
			data, err := s.Serialize(nil, benchRow())
			if err != nil {
				b.Fatal(err)
			}
			row := make([]value.Value, 0, 10)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			defer cpuPerRecord(b)()
			for b.Loop() {
				if row, err = d.Deserialize(data, row); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncode reports ns and allocations per record, reusing the
// output buffer.
func BenchmarkEncode(b *testing.B) {
	for _, name := range []string{JSON, Avro, Protobuf, Delimited} {
		b.Run(name, func(b *testing.B) {
			s, _ := benchFormat(b, name)
			row := benchRow()
			var buf []byte
			b.ReportAllocs()
			defer cpuPerRecord(b)()
			for b.Loop() {
				out, err := s.Serialize(buf[:0], row)
				if err != nil {
					b.Fatal(err)
				}
				buf = out
			}
		})
	}
}

// BenchmarkRoundTrip is decode then encode of one record, as a pass-through
// query does.
func BenchmarkRoundTrip(b *testing.B) {
	for _, name := range []string{JSON, Avro} {
		b.Run(name, func(b *testing.B) {
			s, d := benchFormat(b, name)
			data, _ := s.Serialize(nil, benchRow())
			row := make([]value.Value, 0, 10)
			var buf []byte
			b.ReportAllocs()
			defer cpuPerRecord(b)()
			for b.Loop() {
				var err error
				if row, err = d.Deserialize(data, row); err != nil {
					b.Fatal(err)
				}
				if buf, err = s.Serialize(buf[:0], row); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cpuPerRecord reports the benchmark's thread CPU time per iteration as
// cpu-ns/record, which stays meaningful on a loaded machine where ns/op
// includes time spent waiting for a core.
func cpuPerRecord(b *testing.B) func() {
	runtime.LockOSThread()
	start := threadCPU()
	return func() {
		used := threadCPU() - start
		runtime.UnlockOSThread()
		if b.N > 0 && used > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/record")
		}
	}
}
