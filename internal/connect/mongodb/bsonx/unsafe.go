package bsonx

import "unsafe"

// bytesString views b as a string without copying. Keys returned this way
// alias the document, as the package doc warns.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
