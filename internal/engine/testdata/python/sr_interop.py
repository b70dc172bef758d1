"""Third-party Kafka clients around a Sluice query: Confluent's Python
producer writes through Sluice's embedded schema registry with its
AvroSerializer, ProtobufSerializer or JSONSerializer, and Confluent's
consumer reads what Sluice wrote back with the matching deserializer.

Usage:
  sr_interop.py produce avro|protobuf|json BOOTSTRAP REGISTRY_URL TOPIC N
  sr_interop.py consume avro|protobuf|json BOOTSTRAP REGISTRY_URL TOPIC N

consume prints one JSON object per record, sorted by ID, then DONE; it
exits non-zero if it cannot read N records within a minute.

The Protobuf message classes are built at run time from a
FileDescriptorProto, so that no protoc is needed.
"""
import json
import sys
import time

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

F = descriptor_pb2.FieldDescriptorProto


def message_class(file_name, package, name, fields):
    """fields: (name, type) pairs, numbered from 1 in order."""
    fd = descriptor_pb2.FileDescriptorProto(name=file_name, package=package, syntax="proto3")
    msg = fd.message_type.add(name=name)
    for i, (fname, ftype) in enumerate(fields, 1):
        # json_name as protoc fills it: left unset, the descriptor the
        # serializer sends to the registry names "" for every field, a
        # clash that protobuf compilers (and Sluice's registry) reject.
        msg.field.add(name=fname, number=i, type=ftype, label=F.LABEL_OPTIONAL, json_name=fname)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(package + "." + name))


def order_class(package):
    """The input the producer writes. The package is the topic's name: the
    registry gives identical schemas one id, and tests on a shared broker
    share its _schemas topic, so a schema of its own keeps each run from
    reading another's."""
    return message_class("order.proto", package, "Order", [
        ("id", F.TYPE_INT64), ("item", F.TYPE_STRING), ("price", F.TYPE_DOUBLE), ("note", F.TYPE_STRING)])


# The output of the test's query (ID, UCASE(item) AS ITEM, price * 2 AS
# DOUBLED, NOTE): Sluice numbers the fields in column order, as ksqlDB.
RESULT = message_class("result.proto", "out", "Result", [
    ("ID", F.TYPE_INT64), ("ITEM", F.TYPE_STRING), ("DOUBLED", F.TYPE_DOUBLE), ("NOTE", F.TYPE_STRING)])

ORDER_JSON = json.dumps({
    "type": "object", "title": "Order",
    "properties": {
        "id": {"type": "integer"},
        "item": {"type": "string"},
        "price": {"type": "number"},
        "note": {"oneOf": [{"type": "null"}, {"type": "string"}]},
    },
    "required": ["id", "item", "price"],
})


ORDER_AVRO = json.dumps({
    "type": "record", "name": "Order", "namespace": "shop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "item", "type": "string"},
        {"name": "price", "type": "double"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
})


def value(i):
    return {"id": i, "item": "item-%d" % i, "price": i * 1.5 - 10,
            "note": None if i % 3 == 0 else "n%d" % i}


def produce(fmt, bootstrap, url, topic, n):
    reg = SchemaRegistryClient({"url": url})
    if fmt == "protobuf":
        # The stock path: the serializer registers its file as a base64
        # FileDescriptorProto, which Sluice's registry and PROTOBUF format
        # read as Confluent's do.
        order = order_class(topic)
        ser = ProtobufSerializer(order, reg, {"use.deprecated.format": False})

        def build(v):
            return order(**{k: x for k, x in v.items() if x is not None})
    elif fmt == "avro":
        ser = AvroSerializer(reg, ORDER_AVRO)

        def build(v):
            return v
    else:
        ser = JSONSerializer(ORDER_JSON, reg)

        def build(v):
            return v
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for i in range(n):
        p.produce(topic, value=ser(build(value(i)), SerializationContext(topic, MessageField.VALUE)))
        p.poll(0)
    if p.flush(30) != 0:
        sys.exit("produce: records left unsent")
    print("DONE")


def consume(fmt, bootstrap, url, topic, n):
    reg = SchemaRegistryClient({"url": url})
    if fmt == "protobuf":
        # With the registry, the deserializer fetches the writer's schema
        # as ?format=serialized and parses it.
        de = ProtobufDeserializer(RESULT, {"use.deprecated.format": False}, reg)

        def row(m):
            return {"ID": m.ID, "ITEM": m.ITEM, "DOUBLED": m.DOUBLED, "NOTE": m.NOTE}
    elif fmt == "avro":
        de = AvroDeserializer(reg)

        def row(m):
            return m
    else:
        de = JSONDeserializer(None, schema_registry_client=reg)

        def row(m):
            return m
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "sr-interop-" + topic,
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    c.subscribe([topic])
    rows = []
    deadline = time.time() + 60
    while len(rows) < n and time.time() < deadline:
        msg = c.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            sys.exit("consume: %s" % msg.error())
        rows.append(row(de(msg.value(), SerializationContext(topic, MessageField.VALUE))))
    c.close()
    if len(rows) < n:
        sys.exit("consume: %d of %d records within a minute" % (len(rows), n))
    for r in sorted(rows, key=lambda r: r["ID"]):
        print(json.dumps(r, sort_keys=True))
    print("DONE")


if __name__ == "__main__":
    cmd, fmt, bootstrap, url, topic, n = sys.argv[1:7]
    {"produce": produce, "consume": consume}[cmd](fmt, bootstrap, url, topic, int(n))
