package bsonx

import (
	"bytes"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestParseJSONRoundTrip(t *testing.T) {
	docs := []bson.D{
		allTypes(t),
		{{Key: "esc", Value: "tab\there \"q\" \\ \u0001 é 😀"}, {Key: "neg", Value: int32(-1)}, {Key: "big", Value: int64(1) << 40}, {Key: "min", Value: bson.MinKey{}}, {Key: "regex", Value: bson.Regex{Pattern: "^a", Options: "i"}}},
		{},
	}
	for _, d := range docs {
		doc := mustMarshal(t, d)
		js, err := AppendJSON(nil, doc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseJSON(nil, js)
		if err != nil {
			t.Fatalf("parse %s: %v", js, err)
		}
		if !bytes.Equal(got, doc) {
			t.Fatalf("round trip of %s:\n got  %v\n want %v", js, bson.Raw(got), bson.Raw(doc))
		}
	}
}

func TestParseJSONFallsBack(t *testing.T) {
	for _, js := range []string{
		`{"d": {"$date": "2020-01-01T00:00:00Z"}}`,
		`{"b": {"$binary": {"base64": "AA==", "subType": "00"}}}`,
		`{"$weird": 1}`,
		`{"c": {"$code": "x"}}`,
	} {
		if _, err := ParseJSON(nil, []byte(js)); !errors.Is(err, ErrUnsupportedJSON) {
			t.Errorf("%s: got %v, want ErrUnsupportedJSON", js, err)
		}
	}
	for _, js := range []string{`[1]`, `{"a": }`, `{"a": 1} x`, `{"a": "unterminated}`, `{"a\u0000": 1}`} {
		if _, err := ParseJSON(nil, []byte(js)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", js, err)
		}
	}
}

// FuzzParseJSON checks the fast parser against the driver's: whatever it
// accepts, the driver reads to the same BSON.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"a": 1, "b": [1.5, "x", {"$oid": "5e8a1c2b9d3f4a0012345678"}], "c": {"$numberLong": "5"}}`))
	f.Add([]byte(`{"d": {"$date": 1585912800000}, "t": {"$timestamp": {"t": 1, "i": 2}}, "bin": {"$binary": "AQID", "$type": "04"}}`))
	f.Add([]byte(`{"s": "\u00e9\ud83d\ude00", "n": null, "f": false, "x": {"$numberDecimal": "1.50"}}`))
	f.Fuzz(func(t *testing.T, js []byte) {
		got, err := ParseJSON(nil, js)
		if err != nil {
			return
		}
		var want bson.Raw
		if derr := bson.UnmarshalExtJSON(js, false, &want); derr != nil {
			// The fast parser is more lenient in a few corners (number
			// forms JSON forbids, duplicate-looking wrappers); it must
			// still produce valid BSON.
			if _, err := AppendJSON(nil, got); err != nil {
				t.Fatalf("ParseJSON(%q) produced invalid BSON: %v", js, err)
			}
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("ParseJSON(%q):\n got  %v\n want %v", js, bson.Raw(got), want)
		}
	})
}
