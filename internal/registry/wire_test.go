package registry

import (
	"bytes"
	"errors"
	"testing"
)

func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		id   int
		want []byte
	}{
		{1, []byte{0, 0, 0, 0, 1}},
		{256, []byte{0, 0, 0, 1, 0}},
		{1<<31 - 1, []byte{0, 0x7f, 0xff, 0xff, 0xff}},
	} {
		got := EncodeHeader(tc.id)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("EncodeHeader(%d) = %x, want %x", tc.id, got, tc.want)
		}
		id, rest, err := DecodeHeader(append(got, 'x'))
		if err != nil || id != tc.id || string(rest) != "x" {
			t.Errorf("DecodeHeader(%x) = %d, %q, %v", got, id, rest, err)
		}
	}
	for _, tc := range []struct {
		in   []byte
		want error
	}{
		{nil, ErrShortMessage},
		{[]byte{0, 0, 0, 1}, ErrShortMessage},
		{[]byte{1, 0, 0, 0, 1}, ErrUnknownMagic},
	} {
		if _, _, err := DecodeHeader(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("DecodeHeader(%x) error = %v, want %v", tc.in, err, tc.want)
		}
	}
}

func TestMessageIndexes(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want []byte
	}{
		{[]int{0}, []byte{0}},
		{nil, []byte{0}},
		{[]int{1}, []byte{2, 2}},
		{[]int{0, 1}, []byte{4, 0, 2}},
		{[]int{2, 0, 64}, []byte{6, 4, 0, 0x80, 0x01}},
	} {
		got := EncodeMessageIndexes(tc.in)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("EncodeMessageIndexes(%v) = %x, want %x", tc.in, got, tc.want)
		}
		idx, rest, err := DecodeMessageIndexes(append(got, 0xAA))
		want := tc.in
		if len(want) == 0 {
			want = []int{0}
		}
		if err != nil || !equalInts(idx, want) || !bytes.Equal(rest, []byte{0xAA}) {
			t.Errorf("DecodeMessageIndexes(%x) = %v, %x, %v", got, idx, rest, err)
		}
	}
	for _, in := range [][]byte{nil, {0x80}, {3}, {2}, {2, 1}, {0xfe, 0xff, 0xff, 0xff, 0x7f}} {
		if _, _, err := DecodeMessageIndexes(in); !errors.Is(err, ErrMessageIndex) {
			t.Errorf("DecodeMessageIndexes(%x) error = %v, want ErrMessageIndex", in, err)
		}
	}
}

func FuzzDecodeMessageIndexes(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{4, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, _, err := DecodeMessageIndexes(b)
		if err != nil {
			return
		}
		again, _, err := DecodeMessageIndexes(EncodeMessageIndexes(idx))
		if err != nil || !equalInts(idx, again) {
			t.Fatalf("round trip of %v gave %v, %v", idx, again, err)
		}
	})
}

func TestSubjectNames(t *testing.T) {
	if got := Subject("orders", true); got != "orders-key" {
		t.Errorf("key subject = %q", got)
	}
	if got := Subject("orders", false); got != "orders-value" {
		t.Errorf("value subject = %q", got)
	}
	if got := TopicRecordSubject("orders", "shop.Order"); got != "orders-shop.Order" {
		t.Errorf("topic record subject = %q", got)
	}
	if got := RecordSubject("shop.Order"); got != "shop.Order" {
		t.Errorf("record subject = %q", got)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
