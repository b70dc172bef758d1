package registry

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
)

// The hot paths are the ones a serializer and deserializer hit per record:
// the wire header, and schema lookups that must come from memory.

func BenchmarkEncodeHeader(b *testing.B) {
	buf := make([]byte, 0, 64)
	for i := 0; b.Loop(); i++ {
		buf = AppendHeader(buf[:0], i)
	}
}

func BenchmarkDecodeHeader(b *testing.B) {
	msg := append(EncodeHeader(42), make([]byte, 32)...)
	for b.Loop() {
		if _, _, err := DecodeHeader(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEmbedded(b *testing.B) {
	ctx := context.Background()
	r, err := Open(ctx, newBenchLog(b), Options{Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	id, err := r.Register(ctx, "s", Schema{Text: avroV1})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("SchemaByID", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.SchemaByID(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RegisterExisting", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.Register(ctx, "s", Schema{Text: avroV1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RegisterNew", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			s := fmt.Sprintf(`{"type":"record","name":"R%d","fields":[{"name":"a","type":"long"}]}`, i)
			if _, err := r.Register(ctx, fmt.Sprintf("new-%d", i), Schema{Text: s}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkClient(b *testing.B) {
	ctx := context.Background()
	r, err := Open(ctx, newBenchLog(b), Options{Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	c, err := NewClient(ClientOptions{URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	id, err := c.Register(ctx, "s", Schema{Text: avroV1})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("SchemaByIDCached", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.SchemaByID(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LatestVersionHTTP", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Version(ctx, "s", Latest, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}
