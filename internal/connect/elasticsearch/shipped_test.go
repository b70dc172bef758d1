package elasticsearch_test

import (
	"strconv"

	"github.com/sluicedb/sluice/internal/connect"
)

// The tutorial's shipped_orders: the join key O_ORDER_ID is the record key
// (a struct key, as the runtime hands over a key whose column name it
// knows), the other seven columns are the value.
var (
	shippedKey = connect.NewStructSchema("io.confluent.ksql.avro_schemas.KsqlDataSourceSchemaKey").
			Field("O_ORDER_ID", connect.OptString).Build()
	shippedValue = connect.NewStructSchema("io.confluent.ksql.avro_schemas.KsqlDataSourceSchema").
			Field("SHIPMENT_ID", connect.OptString).
			Field("CUSTOMER_ID", connect.OptString).
			Field("CUSTOMER_NAME", connect.OptString).
			Field("CUSTOMER_AGE", connect.OptInt32).
			Field("ORIGIN", connect.OptString).
			Field("PRICE", connect.OptFloat64).
			Field("CURRENCY", connect.OptString).Build()
)

type shipped struct {
	order, shipment, customer, name string
	age                             int32
	origin                          string
	price                           float64
	currency                        string
}

// tutorialRows are the five documents the tutorial shows.
var tutorialRows = []shipped{
	{"22", "71", "7", "sue", 25, "iowa", 29.71, "aud"},
	{"17", "75", "5", "fred", 34, "texas", 25.25, "eur"},
	{"29", "89", "7", "sue", 25, "california", 15.0, "aud"},
	{"13", "92", "2", "bill", 51, "maine", 50.5, "usd"},
	{"15", "95", "5", "fred", 34, "florida", 13.75, "usd"},
}

func (s shipped) record(topic string, offset int64) *connect.Record {
	k := connect.NewStruct(shippedKey)
	k.Values[0] = s.order
	v := connect.NewStruct(shippedValue)
	copy(v.Values, []any{s.shipment, s.customer, s.name, s.age, s.origin, s.price, s.currency})
	return &connect.Record{Topic: topic, KeySchema: shippedKey, Key: k, ValueSchema: shippedValue, Value: v, Offset: offset}
}

// syntheticShipped is row i of a larger shipped_orders stream.
func syntheticShipped(i int) shipped {
	names := [...]string{"sue", "fred", "bill", "ann", "joe"}
	origins := [...]string{"iowa", "texas", "california", "maine", "florida"}
	return shipped{
		order:    strconv.Itoa(i),
		shipment: strconv.Itoa(1_000_000 + i),
		customer: strconv.Itoa(i % 1000),
		name:     names[i%len(names)],
		age:      int32(20 + i%60),
		origin:   origins[i%len(origins)],
		price:    float64(i%10000) / 100,
		currency: [...]string{"usd", "eur", "aud"}[i%3],
	}
}
