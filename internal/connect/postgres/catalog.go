package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sluicedb/sluice/internal/connect/postgres/pgoutput"
)

// sessionParams fix the text forms the value parsers expect, on both the
// snapshot session and the walsender (pgoutput formats values with the
// walsender session's settings).
var sessionParams = map[string]string{
	"TimeZone":           "UTC",
	"DateStyle":          "ISO, YMD",
	"IntervalStyle":      "postgres",
	"extra_float_digits": "3",
	"bytea_output":       "hex",
	"lc_monetary":        "C",
}

// catalog answers questions about tables and types over an ordinary
// session, and caches the answers. It is used by the task's goroutine
// only.
type catalog struct {
	cfg   *config
	conn  *pgx.Conn
	types map[uint32]*pgType
}

func newCatalog(cfg *config, conn *pgx.Conn) *catalog {
	return &catalog{cfg: cfg, conn: conn, types: map[uint32]*pgType{}}
}

// typ returns what the connector needs to know of a type.
func (c *catalog) typ(ctx context.Context, oid uint32) (*pgType, error) {
	if t, ok := c.types[oid]; ok {
		return t, nil
	}
	t := &pgType{oid: oid}
	var kind, category string
	var elem, base uint32
	var labels []string
	err := c.conn.QueryRow(ctx, `SELECT t.typname, t.typtype::text, t.typcategory::text, t.typelem, t.typbasetype, t.typtypmod,
		coalesce((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '{}')
		FROM pg_type t WHERE t.oid = $1`, oid).Scan(&t.name, &kind, &category, &elem, &base, &t.baseMod, &labels)
	if err != nil {
		return nil, fmt.Errorf("look up type %d: %w", oid, err)
	}
	t.kind = kind[0]
	t.enumVals = labels
	c.types[oid] = t
	if category == "A" && elem != 0 {
		if t.elem, err = c.typ(ctx, elem); err != nil {
			return nil, err
		}
	}
	if t.kind == 'd' && base != 0 {
		if t.base, err = c.typ(ctx, base); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// catalogColumn is a column as pg_attribute describes it.
type catalogColumn struct {
	name    string
	typ     uint32
	mod     int32
	notNull bool
	keyPos  int // 1-based position in the primary key, 0 when not a key column
}

// columns lists a table's live columns in attnum order, with its OID and
// replica identity.
func (c *catalog) columns(ctx context.Context, schema, name string) ([]catalogColumn, uint32, byte, error) {
	rows, err := c.conn.Query(ctx, `SELECT a.attname::text, a.atttypid, a.atttypmod, a.attnotnull,
		coalesce((SELECT k.n FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(att, n) WHERE k.att = a.attnum), 0)::int4, cl.oid, cl.relreplident::text
		FROM pg_class cl
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		JOIN pg_attribute a ON a.attrelid = cl.oid
		LEFT JOIN pg_index i ON i.indrelid = cl.oid AND i.indisprimary
		WHERE n.nspname = $1 AND cl.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, schema, name)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("columns of %s.%s: %w", schema, name, err)
	}
	defer rows.Close()
	var out []catalogColumn
	var oid uint32
	var ident string
	for rows.Next() {
		var cc catalogColumn
		var pos int32
		if err := rows.Scan(&cc.name, &cc.typ, &cc.mod, &cc.notNull, &pos, &oid, &ident); err != nil {
			return nil, 0, 0, fmt.Errorf("columns of %s.%s: %w", schema, name, err)
		}
		cc.keyPos = int(pos)
		out = append(out, cc)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("columns of %s.%s: %w", schema, name, err)
	}
	if len(out) == 0 {
		return nil, 0, 0, fmt.Errorf("table %s.%s not found", schema, name)
	}
	return out, oid, ident[0], nil
}

// table builds a captured table. rel, when set, is the pgoutput Relation
// the stream announced, whose column order and types win over the
// catalog's (the catalog may already be ahead of the WAL being read).
func (c *catalog) table(ctx context.Context, schema, name string, rel *pgoutput.Relation) (*table, error) {
	cols, oid, ident, err := c.columns(ctx, schema, name)
	if err != nil && rel == nil {
		return nil, err
	}
	byName := map[string]catalogColumn{}
	for _, cc := range cols {
		byName[cc.name] = cc
	}
	t := &table{relID: oid, schema: schema, name: name, schemaV: schema, nameV: name, replIdent: ident}
	if rel != nil {
		t.relID, t.replIdent = rel.ID, rel.ReplicaIdentity
		cols = cols[:0:0]
		for _, rc := range rel.Columns {
			cc, ok := byName[rc.Name]
			if !ok {
				cc = catalogColumn{name: rc.Name}
			}
			cc.typ, cc.mod = rc.TypeOID, rc.TypeMod
			cols = append(cols, cc)
		}
	}
	keyAt := map[int]int{}
	for i, cc := range cols {
		pt, err := c.typ(ctx, cc.typ)
		if err != nil {
			return nil, err
		}
		t.cols = append(t.cols, column{name: cc.name, typ: pt, mod: cc.mod, notNull: cc.notNull, key: cc.keyPos > 0})
		if cc.keyPos > 0 {
			keyAt[cc.keyPos] = i
		}
	}
	for p := 1; p <= len(keyAt); p++ {
		if i, ok := keyAt[p]; ok {
			t.keyCols = append(t.keyCols, i)
		}
	}
	if err := c.cfg.buildSchemas(t); err != nil {
		return nil, err
	}
	return t, nil
}

// capturedTables lists the tables the filters select, in schema, name
// order.
func (c *catalog) capturedTables(ctx context.Context) ([][2]string, error) {
	rows, err := c.conn.Query(ctx, `SELECT n.nspname::text, cl.relname::text FROM pg_class cl
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		WHERE cl.relkind IN ('r', 'p') AND NOT cl.relispartition
		AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var s, n string
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if c.cfg.captured(s, n) {
			out = append(out, [2]string{s, n})
		}
	}
	return out, rows.Err()
}
