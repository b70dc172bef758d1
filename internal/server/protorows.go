package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sluicedb/sluice/internal/format"
)

// protobufType is the media type a /query-stream client asks for to get
// rows as protobuf messages, as ksqlDB's KSQL_V1_PROTOBUF.
const protobufType = "application/vnd.ksql.v1+protobuf"

// writeProtobufRows answers /query-stream for protobuf: the JSON array of
// StreamedRows /query writes, where the header also carries the .proto
// schema of the rows (message ConnectDefault1, as ksqlDB's ProtobufData
// derives it) and each row is that message's bytes, base64 in JSON.
func (s *Server) writeProtobufRows(ctx context.Context, w http.ResponseWriter, tq *transientQuery) {
	cols := tq.cursor.Columns()
	fcols := make([]format.Column, len(cols))
	for i, c := range cols {
		fcols[i] = format.Column{Name: c.Name, Type: c.Type}
	}
	text, err := format.ProtobufSchemaFor(fcols, "", "")
	var ser format.Serializer
	if err == nil {
		var f format.Format
		if f, err = format.New(format.ProtobufNoSR, nil, nil); err == nil {
			ser, err = f.Serializer(ctx, format.Target{Columns: fcols, Wrap: protoWrap(len(fcols))})
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadStatement, fmt.Sprintf("protobuf rows: %v", err))
		return
	}
	w.Header().Set("Content-Type", protobufType)
	w.WriteHeader(http.StatusOK)
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	fmt.Fprintf(w, "[%s", enc(map[string]any{"header": map[string]any{"queryId": tq.id, "schema": schemaString(cols), "protoSchema": text}}))
	flush(w)
	for {
		row, ok, err := tq.next()
		if err == nil && ok {
			var b []byte
			if b, err = ser.Serialize(nil, row); err == nil {
				// encoding/json writes []byte as base64, as Jackson does.
				fmt.Fprintf(w, ",\n%s", enc(map[string]any{"row": map[string]any{"protobufBytes": b}}))
				flush(w)
				continue
			}
		}
		if err != nil {
			fmt.Fprintf(w, ",\n%s", enc(map[string]any{"errorMessage": errorMessage{Type: "generic_error", ErrorCode: codeServerError, Message: err.Error()}}))
			break
		}
		if msg := finalMessage(tq); msg != "" && tq.ctx.Err() == nil {
			fmt.Fprintf(w, ",\n%s", enc(map[string]any{"finalMessage": msg}))
		}
		break
	}
	fmt.Fprint(w, "]\n")
	flush(w)
}

// protoWrap keeps a single-column result a message, as every row of a
// protobuf result is one.
func protoWrap(n int) format.Wrapping {
	if n == 1 {
		return format.Wrapped
	}
	return format.WrapDefault
}
