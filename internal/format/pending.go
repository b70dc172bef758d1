package format

func newAvro(p map[string]string, reg Registry) (Format, error) {
	return nil, newErr(ErrUnsupported, "AVRO is not available yet")
}

func newProtobuf(p map[string]string, reg Registry, sr bool) (Format, error) {
	return nil, newErr(ErrUnsupported, "PROTOBUF is not available yet")
}
