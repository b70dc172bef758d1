package registry

import (
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// protoIncompatibilities lists the differences from original to update
// that break decoding, following Confluent's Protobuf rules: messages must
// not disappear or move package, a field number must keep a wire-compatible
// type, required fields must not come or go, and fields must not move into
// an existing oneof. Adding or removing optional fields is fine, since
// Protobuf skips unknown fields and defaults missing ones.
func protoIncompatibilities(original, update protoreflect.FileDescriptor) []string {
	var msgs []string
	if original.Package() != update.Package() {
		msgs = append(msgs, fmt.Sprintf("PACKAGE_CHANGED: package %q changed to %q", original.Package(), update.Package()))
		return msgs
	}
	updated := map[protoreflect.FullName]protoreflect.MessageDescriptor{}
	forEachMessage(update.Messages(), func(m protoreflect.MessageDescriptor) { updated[m.FullName()] = m })
	forEachMessage(original.Messages(), func(om protoreflect.MessageDescriptor) {
		um, ok := updated[om.FullName()]
		if !ok {
			msgs = append(msgs, fmt.Sprintf("MESSAGE_REMOVED: message %s was removed", om.FullName()))
			return
		}
		msgs = append(msgs, protoFieldIncompatibilities(om, um)...)
	})
	return msgs
}

// forEachMessage visits messages and their nested messages, skipping the
// synthetic entries of map fields, which compare as part of their field.
func forEachMessage(ms protoreflect.MessageDescriptors, fn func(protoreflect.MessageDescriptor)) {
	for i := 0; i < ms.Len(); i++ {
		m := ms.Get(i)
		if m.IsMapEntry() {
			continue
		}
		fn(m)
		forEachMessage(m.Messages(), fn)
	}
}

func protoFieldIncompatibilities(om, um protoreflect.MessageDescriptor) []string {
	var msgs []string
	add := func(kind, format string, args ...any) {
		msgs = append(msgs, kind+": "+fmt.Sprintf(format, args...))
	}
	ofs, ufs := om.Fields(), um.Fields()
	for i := 0; i < ofs.Len(); i++ {
		of := ofs.Get(i)
		uf := ufs.ByNumber(of.Number())
		if uf == nil {
			if of.Cardinality() == protoreflect.Required {
				add("REQUIRED_FIELD_REMOVED", "required field %s (#%d) was removed", of.FullName(), of.Number())
			}
			continue
		}
		if k := protoKindChange(of, uf); k != "" {
			add(k, "field %s (#%d) changed type from %s to %s", of.FullName(), of.Number(), protoTypeName(of), protoTypeName(uf))
		}
		if (of.Cardinality() == protoreflect.Required) != (uf.Cardinality() == protoreflect.Required) {
			add("REQUIRED_FIELD_CHANGED", "field %s (#%d) changed whether it is required", of.FullName(), of.Number())
		}
		if of.IsList() != uf.IsList() && !protoPackable(of.Kind()) {
			add("FIELD_LABEL_CHANGED", "field %s (#%d) changed between repeated and singular", of.FullName(), of.Number())
		}
		if of.ContainingOneof() == nil && uf.ContainingOneof() != nil && !uf.ContainingOneof().IsSynthetic() {
			if oo := om.Oneofs().ByName(uf.ContainingOneof().Name()); oo != nil {
				add("FIELD_MOVED_TO_EXISTING_ONEOF", "field %s (#%d) moved into existing oneof %s", of.FullName(), of.Number(), oo.Name())
			}
		}
	}
	for i := 0; i < ufs.Len(); i++ {
		uf := ufs.Get(i)
		if ofs.ByNumber(uf.Number()) == nil && uf.Cardinality() == protoreflect.Required {
			add("REQUIRED_FIELD_ADDED", "required field %s (#%d) was added", uf.FullName(), uf.Number())
		}
	}
	// Several existing fields moving into one new oneof is unsafe: a writer
	// may set more than one of them, and a reader keeps only the last.
	uos := um.Oneofs()
	for i := 0; i < uos.Len(); i++ {
		uo := uos.Get(i)
		if uo.IsSynthetic() || om.Oneofs().ByName(uo.Name()) != nil {
			continue
		}
		moved := 0
		for j := 0; j < uo.Fields().Len(); j++ {
			if of := ofs.ByNumber(uo.Fields().Get(j).Number()); of != nil && of.ContainingOneof() == nil {
				moved++
			}
		}
		if moved > 1 {
			add("MULTIPLE_FIELDS_MOVED_TO_ONEOF", "%d existing fields moved into new oneof %s", moved, uo.FullName())
		}
	}
	return msgs
}

// protoKindChange names the incompatible kind of type change between two
// fields with the same number, or returns "" when the wire types agree.
func protoKindChange(of, uf protoreflect.FieldDescriptor) string {
	oc, uc := protoKindClass(of), protoKindClass(uf)
	if oc != uc {
		return "FIELD_KIND_CHANGED"
	}
	switch oc {
	case "message":
		if of.IsMap() {
			if protoKindChange(of.MapKey(), uf.MapKey()) != "" || protoKindChange(of.MapValue(), uf.MapValue()) != "" {
				return "FIELD_NAMED_TYPE_CHANGED"
			}
			return ""
		}
		if of.Message().FullName() != uf.Message().FullName() {
			return "FIELD_NAMED_TYPE_CHANGED"
		}
	case "enum":
		if of.Enum().FullName() != uf.Enum().FullName() {
			return "FIELD_NAMED_TYPE_CHANGED"
		}
	case "scalar":
		if scalarGroup(of.Kind()) != scalarGroup(uf.Kind()) {
			return "FIELD_SCALAR_KIND_CHANGED"
		}
	}
	return ""
}

func protoKindClass(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return "map"
	case f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind:
		return "message"
	case f.Kind() == protoreflect.EnumKind:
		return "enum"
	}
	return "scalar"
}

// scalarGroup groups the scalar kinds that share a wire encoding, so a
// change within a group still decodes (possibly truncating, as Protobuf
// documents).
func scalarGroup(k protoreflect.Kind) int {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Uint32Kind, protoreflect.Int64Kind, protoreflect.Uint64Kind, protoreflect.BoolKind:
		return 1
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return 2
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return 3
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return 4
	case protoreflect.StringKind, protoreflect.BytesKind:
		return 5
	case protoreflect.FloatKind:
		return 6
	case protoreflect.DoubleKind:
		return 7
	}
	return 0
}

// protoPackable kinds may switch between singular and repeated: parsers
// accept both packed and unpacked encodings and keep the last value.
func protoPackable(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind, protoreflect.GroupKind:
		return false
	}
	return true
}

func protoTypeName(f protoreflect.FieldDescriptor) string {
	switch protoKindClass(f) {
	case "map":
		return "map<" + protoTypeName(f.MapKey()) + ", " + protoTypeName(f.MapValue()) + ">"
	case "message":
		return string(f.Message().FullName())
	case "enum":
		return string(f.Enum().FullName())
	}
	return f.Kind().String()
}
