package ast

import "reflect"

// Walk calls fn for n and then, if fn returns true, for each of n's
// children in source order: expressions, statements, select items,
// relations, types, identifiers and the small value nodes (Duration,
// Property, When, ...). Value nodes are passed as copies; to change the
// tree, hold the parent and edit its fields.
func Walk(n Node, fn func(Node) bool) {
	if n == nil || isNilNode(n) || !fn(n) {
		return
	}
	walkChildren(reflect.ValueOf(n), fn)
}

var nodeType = reflect.TypeOf((*Node)(nil)).Elem()

// valueNodes are the node types the tree holds by value.
var valueNodes = map[reflect.Type]bool{
	reflect.TypeOf(Ident{}):        true,
	reflect.TypeOf(Duration{}):     true,
	reflect.TypeOf(ResourceName{}): true,
}

func isNilNode(n Node) bool {
	v := reflect.ValueOf(n)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func walkChildren(v reflect.Value, fn func(Node) bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Type == posType {
			continue
		}
		walkValue(v.Field(i), fn)
	}
}

func walkValue(f reflect.Value, fn func(Node) bool) {
	switch f.Kind() {
	case reflect.Slice:
		for j := 0; j < f.Len(); j++ {
			walkValue(f.Index(j), fn)
		}
	case reflect.Pointer, reflect.Interface:
		if f.IsNil() {
			return
		}
		if f.Kind() == reflect.Pointer && valueNodes[f.Type().Elem()] {
			// Optional value nodes (an alias, a grace period) are visited
			// by value, the same as required ones.
			walkValue(f.Elem(), fn)
			return
		}
		if n, ok := f.Interface().(Node); ok {
			Walk(n, fn)
		}
	case reflect.Struct:
		if f.Type().Implements(nodeType) && f.CanInterface() {
			Walk(f.Interface().(Node), fn)
		}
	}
}
