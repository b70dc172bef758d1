package registry

import (
	"fmt"
	"slices"
	"sort"
)

// jsonIncompatibilities reports why documents valid under writer may be
// invalid under reader. It covers the rules that matter for records: types
// may widen but not narrow, a reader must not require what the writer may
// omit, closed and open content models must agree on the properties they
// allow, enums may grow but not shrink, and arrays compare their items.
// Like Confluent, it treats an open writer as possibly having written any
// property, so a reader adding a constrained property to an open model is
// incompatible.
func jsonIncompatibilities(reader, writer any) []string {
	var msgs []string
	jsonCompat(reader, writer, "#", &msgs)
	return msgs
}

func jsonCompat(reader, writer any, path string, msgs *[]string) {
	add := func(kind, format string, args ...any) {
		*msgs = append(*msgs, fmt.Sprintf("%s at %s: ", kind, path)+fmt.Sprintf(format, args...))
	}
	if jsonPermissive(reader) {
		return
	}
	if b, ok := writer.(bool); ok && !b {
		return // the writer accepts nothing, so the reader sees nothing
	}
	if b, ok := reader.(bool); ok && !b {
		add("SCHEMA_NARROWED", "the reader accepts no documents")
		return
	}
	r, _ := reader.(map[string]any)
	w, ok := writer.(map[string]any)
	if !ok {
		w = map[string]any{} // a true writer accepts anything
	}

	// A nil type set allows every type.
	wt, rt := jsonTypeSet(w), jsonTypeSet(r)
	switch {
	case rt == nil:
	case wt == nil:
		add("TYPE_NARROWED", "the writer allows any type, the reader only %v", rt)
	default:
		for _, t := range wt {
			if !slices.Contains(rt, t) && !(t == "integer" && slices.Contains(rt, "number")) {
				add("TYPE_CHANGED", "type %s is no longer allowed (reader allows %v)", t, rt)
				break
			}
		}
	}

	if renum, ok := r["enum"].([]any); ok {
		wenum, ok := w["enum"].([]any)
		if !ok {
			add("ENUM_ADDED", "the reader restricts values to an enum")
		} else {
			for _, v := range wenum {
				if !slices.ContainsFunc(renum, func(x any) bool { return fmt.Sprint(x) == fmt.Sprint(v) }) {
					add("ENUM_VALUE_REMOVED", "value %v is no longer allowed", v)
				}
			}
		}
	}

	jsonObjectCompat(r, w, path, msgs)

	if ri, ok := r["items"]; ok {
		if _, isArr := ri.([]any); !isArr {
			wi, ok := w["items"]
			if !ok {
				wi = true
			}
			if _, isArr := wi.([]any); !isArr {
				jsonCompat(ri, wi, path+"/items", msgs)
			}
		}
	}
}

func jsonObjectCompat(r, w map[string]any, path string, msgs *[]string) {
	add := func(kind, format string, args ...any) {
		*msgs = append(*msgs, fmt.Sprintf("%s at %s: ", kind, path)+fmt.Sprintf(format, args...))
	}
	rprops, _ := r["properties"].(map[string]any)
	wprops, _ := w["properties"].(map[string]any)
	rextra, rhas := r["additionalProperties"]
	wextra, whas := w["additionalProperties"]
	if !rhas {
		rextra = true
	}
	if !whas {
		wextra = true
	}
	wreq := jsonStrings(w["required"])
	for _, name := range jsonStrings(r["required"]) {
		if !slices.Contains(wreq, name) {
			add("REQUIRED_PROPERTY_ADDED", "property %q is now required", name)
		}
	}
	for _, name := range sortedKeys(wprops) {
		sub := path + "/properties/" + name
		if rp, ok := rprops[name]; ok {
			jsonCompat(rp, wprops[name], sub, msgs)
			continue
		}
		if jsonRejectsAll(rextra) {
			add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "property %q is no longer allowed", name)
			continue
		}
		jsonCompat(rextra, wprops[name], sub, msgs)
	}
	for _, name := range sortedKeys(rprops) {
		if _, ok := wprops[name]; ok {
			continue
		}
		if jsonRejectsAll(wextra) {
			continue // the writer can never have written it
		}
		// The writer may have written this name with any value its
		// additional-properties schema allows; report that once rather
		// than the reasons inside it.
		n := len(*msgs)
		jsonCompat(rprops[name], wextra, path+"/properties/"+name, msgs)
		if len(*msgs) > n {
			*msgs = append((*msgs)[:n], fmt.Sprintf("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at %s: property %q is constrained but the writer allowed any additional property", path, name))
		}
	}
	if jsonRejectsAll(rextra) && !jsonRejectsAll(wextra) {
		add("ADDITIONAL_PROPERTIES_REMOVED", "the reader no longer allows additional properties")
	} else if !jsonPermissive(rextra) && !jsonRejectsAll(rextra) && !jsonRejectsAll(wextra) {
		jsonCompat(rextra, wextra, path+"/additionalProperties", msgs)
	}
}

// jsonTypeSet returns the schema's allowed types, or nil when any type is.
func jsonTypeSet(s map[string]any) []string {
	switch t := s["type"].(type) {
	case string:
		return []string{t}
	case []any:
		return jsonStrings(t)
	}
	return nil
}

func jsonStrings(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// annotationKeywords constrain nothing, so a schema holding only them
// accepts every document.
var annotationKeywords = map[string]bool{
	"title": true, "description": true, "default": true, "examples": true,
	"$comment": true, "$id": true, "$schema": true, "deprecated": true,
	"readOnly": true, "writeOnly": true, "connect.index": true, "connect.type": true,
}

func jsonPermissive(s any) bool {
	switch v := s.(type) {
	case bool:
		return v
	case map[string]any:
		for k := range v {
			if !annotationKeywords[k] {
				return false
			}
		}
		return true
	}
	return false
}

func jsonRejectsAll(s any) bool {
	b, ok := s.(bool)
	return ok && !b
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
