package registry

import (
	"fmt"

	"github.com/hamba/avro/v2"
)

// checkLevel checks candidate against the earlier versions of a subject,
// oldest first, under level, and returns why it is incompatible (nothing
// when it is compatible). Non-transitive levels look at the latest only.
func checkLevel(level Level, candidate *parsed, earlier []*parsed) []string {
	if level == None || len(earlier) == 0 {
		return nil
	}
	if !level.transitive() {
		earlier = earlier[len(earlier)-1:]
	}
	var msgs []string
	// Newest first, as Confluent reports: the latest version is the one a
	// user is most likely to be looking at.
	for i := len(earlier) - 1; i >= 0; i-- {
		prev := earlier[i]
		if level.backward() {
			for _, m := range canRead(candidate, prev) {
				msgs = append(msgs, "BACKWARD: new schema cannot read data written with an earlier one: "+m)
			}
		}
		if level.forward() {
			for _, m := range canRead(prev, candidate) {
				msgs = append(msgs, "FORWARD: an earlier schema cannot read data written with the new one: "+m)
			}
		}
	}
	return msgs
}

// canRead reports why data written with writer cannot be read with reader.
func canRead(reader, writer *parsed) (msgs []string) {
	// As in parseSchema: the Avro checker is third-party code, and a
	// panic in it means "cannot tell", which must not pass as compatible.
	defer func() {
		if r := recover(); r != nil {
			msgs = []string{fmt.Sprintf("compatibility check failed: %v", r)}
		}
	}()
	if reader.typ != writer.typ {
		return []string{fmt.Sprintf("schema type changed from %s to %s", writer.typ, reader.typ)}
	}
	switch reader.typ {
	case Avro:
		if err := avro.NewSchemaCompatibility().Compatible(reader.avro, writer.avro); err != nil {
			return []string{err.Error()}
		}
		return nil
	case Protobuf:
		// Confluent computes the differences from the writer's schema to
		// the reader's and rejects the kinds that break decoding.
		return protoIncompatibilities(writer.proto, reader.proto)
	case JSON:
		return jsonIncompatibilities(reader.json, writer.json)
	}
	return []string{"unknown schema type " + string(reader.typ)}
}
