"""Drives a Sluice registry with Confluent's own Python client.

Usage: client.py URL. Prints one line per check and exits non-zero on the
first failure, so the Go test can show what broke.
"""
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

url = sys.argv[1]
c = SchemaRegistryClient({"url": url})

v1 = '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"}]}'
v2 = ('{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},'
      '{"name":"qty","type":"int","default":1}]}')
bad = '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"}]}'


def check(name, cond, detail=""):
    if not cond:
        print("FAIL", name, detail)
        sys.exit(1)
    print("ok", name)


id1 = c.register_schema("orders-value", Schema(v1, "AVRO"))
check("register", id1 > 0, id1)
check("register idempotent", c.register_schema("orders-value", Schema(v1, "AVRO")) == id1)
id2 = c.register_schema("orders-value", Schema(v2, "AVRO"))
check("register v2", id2 != id1, id2)
check("same schema other subject", c.register_schema("other-value", Schema(v1, "AVRO")) == id1)

latest = c.get_latest_version("orders-value")
check("latest", latest.version == 2 and latest.schema_id == id2, latest)
ver = c.get_version("orders-value", 1)
check("version 1", ver.schema_id == id1 and ver.schema.schema_str == v1, ver)
check("get_schema", c.get_schema(id1).schema_str == v1)
check("subjects", sorted(c.get_subjects()) == ["orders-value", "other-value"], c.get_subjects())
check("versions", c.get_versions("orders-value") == [1, 2])
found = c.lookup_schema("orders-value", Schema(v1, "AVRO"))
check("lookup", found.version == 1 and found.schema_id == id1, found)
check("compatible", c.test_compatibility("orders-value", Schema(v2, "AVRO")))
check("incompatible", not c.test_compatibility("orders-value", Schema(bad, "AVRO")))

try:
    c.register_schema("orders-value", Schema(bad, "AVRO"))
    check("register incompatible", False)
except SchemaRegistryError as e:
    check("register incompatible", e.error_code == 409 and e.http_status_code == 409, e)
try:
    c.get_version("orders-value", 9)
    check("missing version", False)
except SchemaRegistryError as e:
    check("missing version", e.error_code == 40402, e)
try:
    c.get_latest_version("nope")
    check("missing subject", False)
except SchemaRegistryError as e:
    check("missing subject", e.error_code == 40401, e)

c.set_compatibility("orders-value", "FULL")
check("subject compatibility", c.get_compatibility("orders-value") == "FULL")
c.set_compatibility(level="NONE")
check("global compatibility", c.get_compatibility() == "NONE")

# A real serializer round trip through the registry.
ser = AvroSerializer(c, v2)
de = AvroDeserializer(c)
ctx = SerializationContext("orders", MessageField.VALUE)
data = ser({"id": 7, "qty": 3}, ctx)
check("wire header", data[0] == 0 and int.from_bytes(data[1:5], "big") == id2, data[:5].hex())
check("deserialize", de(data, ctx) == {"id": 7, "qty": 3})
print("HEX", data.hex())

check("delete version", c.delete_version("orders-value", 2) == 2)
check("delete subject", c.delete_subject("other-value") == [1])
check("delete permanently", c.delete_subject("other-value", permanent=True) == [1])
check("subjects after delete", c.get_subjects() == ["orders-value"], c.get_subjects())
print("DONE")
