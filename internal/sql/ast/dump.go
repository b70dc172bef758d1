package ast

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Dump renders n as an indented tree, one field per line, with each node's
// position, for golden files and debugging.
func Dump(n Node) string { return dump(n, true) }

// DumpNoPos is Dump without positions or raw source text; two trees parsed
// from differently written but equivalent SQL dump identically.
func DumpNoPos(n Node) string { return dump(n, false) }

// Equal reports whether a and b are the same tree, ignoring positions and
// how names were written.
func Equal(a, b Node) bool { return DumpNoPos(a) == DumpNoPos(b) }

func dump(n Node, withPos bool) string {
	d := dumper{withPos: withPos}
	d.value(reflect.ValueOf(n), 0)
	return d.b.String()
}

type dumper struct {
	b       strings.Builder
	withPos bool
}

var (
	posType   = reflect.TypeOf(Pos{})
	identType = reflect.TypeOf(Ident{})
)

func (d *dumper) indent(depth int) {
	for i := 0; i < depth; i++ {
		d.b.WriteString("  ")
	}
}

func (d *dumper) identString(id Ident) string {
	s := id.Name
	if id.Quoted {
		s = QuoteIdent(id.Name)
	}
	if d.withPos {
		s += " @" + id.Pos.String()
	}
	return s
}

// value writes v, whose header line the caller has already started, and
// ends the line.
func (d *dumper) value(v reflect.Value, depth int) {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			d.b.WriteString("nil\n")
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == identType {
			d.b.WriteString(d.identString(v.Interface().(Ident)))
			d.b.WriteByte('\n')
			return
		}
		d.b.WriteString(v.Type().Name())
		if d.withPos {
			if f := v.FieldByName("Pos"); f.IsValid() && f.Type() == posType {
				d.b.WriteString(" @" + f.Interface().(Pos).String())
			}
		}
		d.b.WriteByte('\n')
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if sf.Type == posType {
				continue
			}
			fv := v.Field(i)
			if skipZero(fv) {
				continue
			}
			d.indent(depth + 1)
			d.b.WriteString(sf.Name + ":")
			if !(fv.Kind() == reflect.Slice && fv.Len() > 0) {
				d.b.WriteByte(' ')
			}
			d.value(fv, depth+1)
		}
	case reflect.Slice:
		if v.Len() == 0 {
			d.b.WriteString("[]\n")
			return
		}
		d.b.WriteByte('\n')
		for i := 0; i < v.Len(); i++ {
			d.indent(depth + 1)
			d.b.WriteString("- ")
			d.value(v.Index(i), depth+1)
		}
	case reflect.String:
		d.b.WriteString(strconv.Quote(v.String()) + "\n")
	case reflect.Bool:
		d.b.WriteString(strconv.FormatBool(v.Bool()) + "\n")
	case reflect.Int, reflect.Int64:
		d.b.WriteString(strconv.FormatInt(v.Int(), 10) + "\n")
	case reflect.Uint8:
		if s, ok := v.Interface().(fmt.Stringer); ok {
			d.b.WriteString(s.String() + "\n")
		} else {
			d.b.WriteString(strconv.FormatUint(v.Uint(), 10) + "\n")
		}
	case reflect.Float64:
		d.b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64) + "\n")
	default:
		fmt.Fprintf(&d.b, "%v\n", v.Interface())
	}
}

// skipZero leaves out fields that carry no information: nil pointers and
// interfaces, nil slices, false flags and empty strings. Empty
// but non-nil slices are kept, because "GROUP BY ()" differs from no
// GROUP BY.
func skipZero(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice:
		return v.IsNil()
	case reflect.Bool:
		return !v.Bool()
	case reflect.String:
		return v.String() == ""
	case reflect.Struct:
		if v.Type() == identType {
			id := v.Interface().(Ident)
			return id.Name == "" && !id.Quoted
		}
	}
	return false
}
