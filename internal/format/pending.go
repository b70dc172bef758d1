package format

func newProtobuf(p map[string]string, reg Registry, sr bool) (Format, error) {
	return nil, newErr(ErrUnsupported, "PROTOBUF is not available yet")
}
