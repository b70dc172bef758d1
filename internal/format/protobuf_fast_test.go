package format

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/sluicedb/sluice/internal/value"
)

// TestProtobufFastPaths checks the protowire encoder and decoder against
// the dynamicpb ones on every singular column type, in each nullable
// representation, with values, zeros and NULLs: each path must read what
// either path writes as the same row.
func TestProtobufFastPaths(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	all, row := allTypesCols(), allTypesRow()
	// Every column but the ARRAY and MAP ones, which take the slow path.
	c := append(append([]Column{}, all[:10]...), all[12])
	vals := append(append([]value.Value{}, row[:10]...), row[12])
	zeros := []value.Value{value.Bool(false), value.Int(0), value.Bigint(0), value.Double(0),
		value.DecimalInt64(0, 3), value.String(""), value.Bytes(nil), value.Date(0), value.Time(0),
		value.Timestamp(0), value.Struct([]value.Value{value.Int(0), value.Array(nil)})}
	for _, nullable := range []string{"", "optional", "wrapper"} {
		t.Run(nullable, func(t *testing.T) {
			props := map[string]string{}
			if nullable != "" {
				props["nullableRepresentation"] = nullable
			}
			f := mustFormat(t, "PROTOBUF_NOSR", props, reg)
			tg := Target{Topic: "fast" + nullable, Columns: c}
			ser, err := f.Serializer(ctx, tg)
			if err != nil {
				t.Fatal(err)
			}
			s := ser.(*protobufSerializer)
			de, err := f.Deserializer(ctx, tg)
			if err != nil {
				t.Fatal(err)
			}
			d := de.(*protobufDeserializer)
			if s.fast == nil || d.fixed.byNum == nil {
				t.Fatal("singular columns did not take the fast paths")
			}
			for _, r := range [][]value.Value{vals, zeros, make([]value.Value, len(c))} {
				fast, err := s.plan.writeFast(&s.codec, nil, s.fast, r)
				if err != nil {
					t.Fatal(err)
				}
				m := dynamicpb.NewMessage(s.md)
				if err := s.plan.write(&s.codec, m, r); err != nil {
					t.Fatal(err)
				}
				slow, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				var want string
				for i, b := range [][]byte{fast, slow} {
					viaFast := make([]value.Value, len(c))
					if err := d.fixed.plan.readFast(&d.codec, b, d.fixed.byNum, viaFast); err != nil {
						t.Fatal(err)
					}
					m := dynamicpb.NewMessage(d.fixed.plan.md)
					if err := proto.Unmarshal(b, m); err != nil {
						t.Fatal(err)
					}
					viaSlow := make([]value.Value, len(c))
					if err := d.fixed.plan.read(&d.codec, m, viaSlow, 0); err != nil {
						t.Fatal(err)
					}
					gotFast, gotSlow := render(t, c, viaFast, false), render(t, c, viaSlow, false)
					if gotFast != gotSlow {
						t.Fatalf("bytes %d: fast read %s, slow read %s", i, gotFast, gotSlow)
					}
					if i == 0 {
						want = gotSlow
					} else if gotSlow != want {
						t.Fatalf("fast write reads %s, slow write %s", want, gotSlow)
					}
				}
			}
		})
	}
}

// FuzzProtobufFast reads arbitrary bytes with the protowire decoder and
// with dynamicpb, with and without field presence: both must fail, or
// both must return the same row.
func FuzzProtobufFast(f *testing.F) {
	all, row := allTypesCols(), allTypesRow()
	c := append(append([]Column{}, all[:10]...), all[12])
	vals := append(append([]value.Value{}, row[:10]...), row[12])
	var ds []*protobufDeserializer
	for _, nullable := range []string{"optional", ""} {
		props := map[string]string{}
		if nullable != "" {
			props["nullableRepresentation"] = nullable
		}
		fm := mustFormat(f, "PROTOBUF_NOSR", props, nil)
		tg := Target{Topic: "fuzzfast", Columns: c}
		ser, err := fm.Serializer(context.Background(), tg)
		if err != nil {
			f.Fatal(err)
		}
		de, err := fm.Deserializer(context.Background(), tg)
		if err != nil {
			f.Fatal(err)
		}
		ds = append(ds, de.(*protobufDeserializer))
		seed, err := ser.Serialize(nil, vals)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(seed)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range ds {
			fast := make([]value.Value, len(c))
			ferr := d.fixed.plan.readFast(&d.codec, data, d.fixed.byNum, fast)
			if errors.Is(ferr, errProtoMerge) {
				continue // the deserializer takes the slow path
			}
			m := dynamicpb.NewMessage(d.fixed.plan.md)
			serr := proto.UnmarshalOptions{AllowPartial: true}.Unmarshal(data, m)
			slow := make([]value.Value, len(c))
			if serr == nil {
				serr = d.fixed.plan.read(&d.codec, m, slow, 0)
			}
			if (ferr == nil) != (serr == nil) {
				t.Fatalf("fast error %v, slow error %v", ferr, serr)
			}
			if ferr == nil {
				if a, b := render(t, c, fast, false), render(t, c, slow, false); a != b {
					t.Fatalf("fast %s, slow %s", a, b)
				}
			}
		}
	})
}
