package bsonx

import "encoding/binary"

// Without returns doc without the fields at the given dotted paths
// (["address", "zip"] removes address.zip), for Debezium's
// field.exclude.list. doc itself is returned when no path matches, so the
// common case copies nothing.
func Without(doc []byte, paths [][]string) ([]byte, error) {
	if len(paths) == 0 {
		return doc, nil
	}
	out, changed, err := without(doc, paths, 0)
	if err != nil || !changed {
		return doc, err
	}
	return out, nil
}

func without(doc []byte, paths [][]string, depth int) ([]byte, bool, error) {
	if depth > maxDepth {
		return nil, false, malformed("nested deeper than %d", maxDepth)
	}
	var out []byte
	changed := false
	it := NewIter(doc)
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		drop := false
		var sub [][]string
		for _, p := range paths {
			if len(p) > depth && p[depth] == e.Key {
				if len(p) == depth+1 {
					drop = true
				} else {
					sub = append(sub, p)
				}
			}
		}
		val := e.Value
		if !drop && len(sub) > 0 && e.Type == TypeDocument {
			v, ch, err := without(e.Value, sub, depth+1)
			if err != nil {
				return nil, false, err
			}
			if ch {
				val, changed = v, true
			}
		}
		if drop {
			changed = true
			continue
		}
		if out == nil {
			out = append(out, 0, 0, 0, 0)
		}
		out = append(out, e.Type)
		out = append(out, e.Key...)
		out = append(out, 0)
		out = append(out, val...)
	}
	if err := it.Err(); err != nil {
		return nil, false, err
	}
	if out == nil {
		out = append(out, 0, 0, 0, 0)
	}
	out = append(out, 0)
	binary.LittleEndian.PutUint32(out, uint32(len(out)))
	return out, changed, nil
}
