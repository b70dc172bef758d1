"""Third-party Kafka clients around a Sluice query: Confluent's Python
producer writes Avro records through Sluice's embedded schema registry,
and Confluent's Python consumer reads what Sluice wrote back.

Usage:
  avro_interop.py produce BOOTSTRAP REGISTRY_URL TOPIC N
  avro_interop.py consume BOOTSTRAP REGISTRY_URL TOPIC N

consume prints one JSON object per record, sorted by id, then DONE; it
exits non-zero if it cannot read N records within a minute.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

ORDER = json.dumps({
    "type": "record", "name": "Order", "namespace": "shop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "item", "type": "string"},
        {"name": "price", "type": "double"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
})


def produce(bootstrap, url, topic, n):
    reg = SchemaRegistryClient({"url": url})
    ser = AvroSerializer(reg, ORDER)
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for i in range(n):
        value = {"id": i, "item": "item-%d" % i, "price": i * 1.5 - 10,
                 "note": None if i % 3 == 0 else "n%d" % i}
        p.produce(topic, value=ser(value, SerializationContext(topic, MessageField.VALUE)))
        p.poll(0)
    if p.flush(30) != 0:
        sys.exit("produce: records left unsent")
    print("DONE")


def consume(bootstrap, url, topic, n):
    reg = SchemaRegistryClient({"url": url})
    de = AvroDeserializer(reg)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "avro-interop-" + topic,
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
        rows.append(de(msg.value(), SerializationContext(topic, MessageField.VALUE)))
    c.close()
    if len(rows) < n:
        sys.exit("consume: %d of %d records within a minute" % (len(rows), n))
    for r in sorted(rows, key=lambda r: r["ID"]):
        print(json.dumps(r, sort_keys=True))
    print("DONE")


if __name__ == "__main__":
    cmd, bootstrap, url, topic, n = sys.argv[1:6]
    {"produce": produce, "consume": consume}[cmd](bootstrap, url, topic, int(n))
