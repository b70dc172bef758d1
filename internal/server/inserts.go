package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/coder/websocket"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/types"
)

type insertAck struct {
	Status    string `json:"status"`
	Seq       int64  `json:"seq"`
	ErrorCode int    `json:"error_code,omitempty"`
	Message   string `json:"message,omitempty"`
}

// handleInsertsStream is POST /inserts-stream: an arguments object naming
// the target, then one JSON object per row; each row is acknowledged with
// its sequence number as it is written, or answered with an error.
func (s *Server) handleInsertsStream(w http.ResponseWriter, r *http.Request) {
	if s.opts.Headless {
		writeError(w, http.StatusForbidden, codeHeadless, ErrHeadless.Error())
		return
	}
	// HTTP/1.1 clients stream rows while reading acks; without full duplex
	// Go's server would close the body at the first write.
	_ = http.NewResponseController(w).EnableFullDuplex()
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	dec.UseNumber()
	var args struct {
		Target     string         `json:"target"`
		Properties map[string]any `json:"properties"`
	}
	if err := dec.Decode(&args); err != nil {
		requestError(w, fmt.Errorf("Invalid JSON in request args: %w", err))
		return
	}
	name := args.Target
	cat := s.opts.Engine.Catalog()
	src, ok := cat.Source(strings.ToUpper(name))
	if !ok {
		src, ok = cat.Source(name)
	}
	if !ok {
		writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Cannot insert values into an unknown stream/table: %s", name))
		return
	}
	if src.Kind != catalog.Stream {
		writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Cannot insert into a table using /inserts-stream: %s", src.Name))
		return
	}
	delimited := !strings.Contains(r.Header.Get("Accept"), "application/json")
	if delimited {
		w.Header().Set("Content-Type", delimitedType)
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	flush(w)
	sess := newSession(args.Properties, nil)
	first := true
	write := func(a insertAck) {
		b, _ := json.Marshal(a)
		switch {
		case delimited:
			fmt.Fprintf(w, "%s\n", b)
		case first:
			fmt.Fprintf(w, "[%s", b)
		default:
			fmt.Fprintf(w, ",%s", b)
		}
		first = false
		flush(w)
	}
	defer func() {
		if !delimited {
			if first {
				fmt.Fprint(w, "[")
			}
			fmt.Fprint(w, "]")
		}
	}()
	for seq := int64(0); ; seq++ {
		var row map[string]any
		err := dec.Decode(&row)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			write(insertAck{Status: "error", Seq: seq, ErrorCode: codeBadRequest, Message: "Invalid JSON in inserts stream"})
			return
		}
		stmt, err := insertStatement(src, row)
		if err == nil {
			_, err = s.opts.Engine.ExecuteOne(r.Context(), sess, stmt)
		}
		if err != nil {
			write(insertAck{Status: "error", Seq: seq, ErrorCode: codeBadRequest, Message: err.Error()})
			return
		}
		write(insertAck{Status: "ok", Seq: seq})
	}
}

// insertStatement renders a row as INSERT VALUES against src's columns;
// JSON keys match column names case-insensitively, as ksqlDB's do.
func insertStatement(src *catalog.Source, row map[string]any) (string, error) {
	var names, vals []string
	keys := make([]string, 0, len(row))
	for k := range row {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var col *catalog.Column
		for i := range src.Schema.Columns {
			if strings.EqualFold(src.Schema.Columns[i].Name, k) {
				col = &src.Schema.Columns[i]
				break
			}
		}
		var t *types.Type
		name := k
		if col != nil {
			t, name = col.Type, col.Name
		} else if !catalog.IsPseudo(strings.ToUpper(k)) {
			return "", fmt.Errorf("Column name %s does not exist.", k)
		} else {
			name = strings.ToUpper(k)
		}
		lit, err := sqlLiteral(row[k], t)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", name, err)
		}
		names = append(names, types.QuoteIdent(name))
		vals = append(vals, lit)
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", types.QuoteIdent(src.Name),
		strings.Join(names, ", "), strings.Join(vals, ", ")), nil
}

// handleWebsocket is GET /ws/query?request={"ksql":...}: the query's
// schema as the first message, then one {"row":{"columns":[...]}} message
// per row, as ksqlDB's websocket endpoint sends them.
func (s *Server) handleWebsocket(w http.ResponseWriter, r *http.Request) {
	var req ksqlRequest
	raw := r.URL.Query().Get("request")
	if err := json.NewDecoder(bytes.NewReader([]byte(raw))).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "Invalid request parameter: "+err.Error())
		return
	}
	sess := newSession(req.StreamsProperties, req.SessionVariables)
	tq, err := s.startQuery(r.Context(), sess, req.Ksql)
	if err != nil {
		s.writeExecError(w, err, req.Ksql, nil)
		return
	}
	defer s.endQuery(tq)
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer conn.CloseNow()
	// A client closes the query by closing the socket; CloseRead notices.
	ctx := conn.CloseRead(tq.ctx)
	send := func(v any) error {
		b, _ := json.Marshal(v)
		return conn.Write(ctx, websocket.MessageText, b)
	}
	cols := tq.cursor.Columns()
	fields := make([]fieldInfo, len(cols))
	for i, c := range cols {
		fields[i] = fieldInfo{Name: c.Name, Schema: typeSchema(c.Type)}
	}
	if send(fields) != nil {
		return
	}
	for {
		row, ok, err := tq.cursor.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				conn.Close(websocket.StatusInternalError, truncate(err.Error(), 120))
			}
			return
		}
		if !ok {
			conn.Close(websocket.StatusNormalClosure, "query completed")
			return
		}
		if send(map[string]any{"row": map[string]any{"columns": restRow(cols, row)}}) != nil {
			return
		}
	}
}

// truncate keeps a close reason within the websocket frame limit.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
