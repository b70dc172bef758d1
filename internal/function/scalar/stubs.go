package scalar

func registerURL(b *builder)      {}
func registerDateTime(b *builder) {}
func registerArray(b *builder)    {}
func registerMap(b *builder)      {}
func registerLambda(b *builder)   {}
