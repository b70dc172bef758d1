package format_test

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// A task builds its serdes once and reuses the buffer and the row.
func Example() {
	ctx := context.Background()
	f, err := format.New("json", nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	t := format.Target{Topic: "orders", Columns: []format.Column{
		{Name: "ID", Type: types.BigintType},
		{Name: "PRICE", Type: types.MustDecimal(6, 2)},
	}}
	ser, _ := f.Serializer(ctx, t)
	de, _ := f.Deserializer(ctx, t)

	var buf []byte
	buf, _ = ser.Serialize(buf[:0], []value.Value{value.Bigint(7), value.DecimalInt64(2525, 2)})
	fmt.Println(string(buf))

	row, err := de.Deserialize([]byte(`{"id": "8", "Price": 13.5}`), nil)
	fmt.Println(row[0], row[1], err)
	// Output:
	// {"ID":7,"PRICE":25.25}
	// 8 13.50 <nil>
}

// Formats report ksqlDB's errors for schemas they cannot carry.
func ExampleFormat_Validate() {
	f, _ := format.New("KAFKA", nil, nil)
	err := f.Validate(format.Target{IsKey: true, Columns: []format.Column{
		{Name: "K1", Type: types.IntType}, {Name: "K2", Type: types.IntType},
	}})
	fmt.Println(err)
	// Output:
	// The 'KAFKA' format only supports a single field. Got: [`K1` INTEGER KEY, `K2` INTEGER KEY]
}
