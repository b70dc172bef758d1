"""Drives the parts of Confluent's Schema Registry API that client.py does
not: Protobuf as the stock serializers use it (base64 FileDescriptorProto
registration, ?format=serialized, references), Avro references with
?format=resolved, normalize, /config, /mode, deleted listings, soft and
permanent deletes, and the error codes a client branches on.

Usage: api.py URL. Prints one line per check and exits non-zero on the
first failure, so the Go test can show what broke.
"""
import base64
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from confluent_kafka.schema_registry import (ConfigCompatibilityLevel, Schema, SchemaReference,
                                             SchemaRegistryClient, ServerConfig)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

url = sys.argv[1]
c = SchemaRegistryClient({"url": url})
F = descriptor_pb2.FieldDescriptorProto


def fresh():
    """A client with an empty cache: the client caches schemas and versions
    whatever the format or deleted flag asked for."""
    return SchemaRegistryClient({"url": url})


def check(name, cond, detail=""):
    if not cond:
        print("FAIL", name, detail)
        sys.exit(1)
    print("ok", name)


def fails(name, code, fn):
    try:
        fn()
    except SchemaRegistryError as e:
        status = code // 100 if code > 999 else code
        check(name, e.error_code == code and e.http_status_code == status, e)
        return
    check(name, False, "no error")


# --- Protobuf as the stock serializer and deserializer use it ------------
# Two files, the second importing the first and a well-known type: the
# serializer registers each as a base64 FileDescriptorProto, the first
# under its file name as a reference, and the deserializer fetches both
# with ?format=serialized.
def field(msg, name, number, ftype, type_name=None):
    # json_name as protoc fills it: without it every field's JSON name is
    # "", which protobuf compilers reject as a clash.
    f = msg.field.add(name=name, number=number, type=ftype, label=F.LABEL_OPTIONAL, json_name=name)
    if type_name:
        f.type_name = type_name


common = descriptor_pb2.FileDescriptorProto(name="acme/money.proto", package="acme", syntax="proto3")
money = common.message_type.add(name="Money")
field(money, "currency", 1, F.TYPE_STRING)
field(money, "units", 2, F.TYPE_INT64)
order_fd = descriptor_pb2.FileDescriptorProto(name="acme/order.proto", package="acme", syntax="proto3",
                                              dependency=["acme/money.proto", "google/protobuf/timestamp.proto"])
order = order_fd.message_type.add(name="Order")
field(order, "id", 1, F.TYPE_INT64)
field(order, "price", 2, F.TYPE_MESSAGE, ".acme.Money")
field(order, "at", 3, F.TYPE_MESSAGE, ".google.protobuf.Timestamp")
pool = descriptor_pool.DescriptorPool()
pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
pool.Add(common)
pool.Add(order_fd)
Order = message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.Order"))

ctx = SerializationContext("pb-orders", MessageField.VALUE)
ser = ProtobufSerializer(Order, c, {"use.deprecated.format": False})
msg = Order(id=7)
msg.price.currency = "EUR"
msg.price.units = 42
msg.at.seconds = 1700000000
data = ser(msg, ctx)
pb_id = int.from_bytes(data[1:5], "big")
check("protobuf serializer registered", data[0] == 0 and pb_id > 0, data[:6].hex())
check("protobuf reference subject", "acme/money.proto" in c.get_subjects(), c.get_subjects())
reg = c.get_latest_version("pb-orders-value")
check("protobuf registered as given", reg.schema.schema_type == "PROTOBUF" and reg.schema.references
      and reg.schema.references[0].name == "acme/money.proto", reg.schema.references)

serialized = c.get_schema(pb_id, fmt="serialized")
fdp = descriptor_pb2.FileDescriptorProto.FromString(base64.standard_b64decode(serialized.schema_str))
check("schemas/ids ?format=serialized", [m.name for m in fdp.message_type] == ["Order"]
      and "acme/money.proto" in fdp.dependency and "google/protobuf/timestamp.proto" in fdp.dependency, fdp)
ver = c.get_version("pb-orders-value", reg.version, fmt="serialized")
check("subjects/versions ?format=serialized", ver.schema.schema_str == serialized.schema_str)
ref = c.get_version("acme/money.proto", 1, fmt="serialized")
rfdp = descriptor_pb2.FileDescriptorProto.FromString(base64.standard_b64decode(ref.schema.schema_str))
check("reference ?format=serialized", [m.name for m in rfdp.message_type] == ["Money"], rfdp)

de = ProtobufDeserializer(Order, {"use.deprecated.format": False}, c)
got = de(data, ctx)
check("protobuf deserializer", got.id == 7 and got.price.units == 42 and got.at.seconds == 1700000000, got)

# Registering the same file again, as .proto text this time, is the same
# schema: one id.
text_id = c.register_schema("pb-text-value", Schema("""syntax = "proto3";
package acme;
message Money {
  string currency = 1;
  int64 units = 2;
}
""", "PROTOBUF"))
check("proto text and descriptor are one schema", text_id == c.get_version("acme/money.proto", 1).schema_id, text_id)
check("text ?format=serialized", base64.standard_b64decode(c.get_schema(text_id, fmt="serialized").schema_str) != b"")

# --- Avro references and ?format=resolved ---------------------------------
address = '{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}'
person = ('{"type":"record","name":"Person","namespace":"com.acme","fields":'
          '[{"name":"name","type":"string"},{"name":"home","type":"Address"},'
          '{"name":"work","type":["null","com.acme.Address"],"default":null}]}')
addr_id = c.register_schema("address", Schema(address, "AVRO"))
person_id = c.register_schema("person-value", Schema(person, "AVRO", [SchemaReference("com.acme.Address", "address", 1)]))
check("avro with reference", person_id not in (0, addr_id), person_id)
resolved = json.loads(c.get_schema(person_id, fmt="resolved").schema_str)
home = [f for f in resolved["fields"] if f["name"] == "home"][0]["type"]
check("schemas/ids ?format=resolved inlines the reference", isinstance(home, dict) and home["type"] == "record"
      and home["name"].endswith("Address"), resolved)
check("subjects/versions ?format=resolved",
      json.loads(c.get_version("person-value", 1, fmt="resolved").schema.schema_str) == resolved)
# The client caches schemas by id whatever the format, so a fresh one asks
# for the stored form.
check("avro as stored", fresh().get_schema(person_id).schema_str == person)
check("referencedby", c.get_referenced_by("address", 1) == [person_id])
fails("delete a referenced version", 42206, lambda: c.delete_version("address", 1))

pctx = SerializationContext("person", MessageField.VALUE)
aser = AvroSerializer(c, Schema(person, "AVRO", [SchemaReference("com.acme.Address", "address", 1)]),
                      conf={"auto.register.schemas": False, "use.latest.version": True})
ade = AvroDeserializer(c)
p = {"name": "ann", "home": {"city": "Oslo"}, "work": None}
check("avro round trip with references", ade(aser(p, pctx), pctx) == p)

# --- normalize ------------------------------------------------------------
spaced = '{ "type" : "record", "name" : "Address", "namespace" : "com.acme",\n "fields" : [ {"name":"city","type":"string"} ] }'
check("normalize: same id", c.register_schema("address", Schema(spaced, "AVRO"), normalize_schemas=True) == addr_id)
check("normalize: lookup", c.lookup_schema("address", Schema(spaced, "AVRO"), normalize_schemas=True).schema_id == addr_id)
check("identical schema, other subject, same id", c.register_schema("address-copy", Schema(address, "AVRO")) == addr_id)

# --- /config --------------------------------------------------------------
fails("subject config not set", 40408, lambda: c.get_compatibility("address"))
c.set_config("address", ServerConfig(compatibility=ConfigCompatibilityLevel.FULL))
check("set_config", c.get_config("address").compatibility_level == ConfigCompatibilityLevel.FULL)
check("get_compatibility", c.get_compatibility("address") == "FULL")
check("delete_config", c.delete_config("address").compatibility_level == ConfigCompatibilityLevel.FULL)
fails("subject config deleted", 40408, lambda: c.get_compatibility("address"))
check("global config", c.get_config().compatibility_level is not None)
fails("bad level", 42203, lambda: c.set_compatibility("address", "SIDEWAYS"))

# --- /mode ----------------------------------------------------------------
fails("subject mode not set", 40409, lambda: c.get_mode("address"))
check("update_mode", c.update_mode("address", "READWRITE") == "READWRITE")
check("get_mode", c.get_mode("address") == "READWRITE")
check("delete_mode", c.delete_mode("address") == "READWRITE")
fails("subject mode deleted", 40409, lambda: c.get_mode("address"))
fails("read-only mode", 42205, lambda: c.update_mode("address", "READONLY"))
fails("bad mode", 42204, lambda: c.update_mode("address", "SLEEPY"))

# --- deletes and deleted listings ----------------------------------------
v1 = '{"type":"record","name":"T","fields":[{"name":"a","type":"int"}]}'
v2 = '{"type":"record","name":"T","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","default":0}]}'
c.register_schema("t", Schema(v1, "AVRO"))
c.register_schema("t", Schema(v2, "AVRO"))
check("soft delete version", c.delete_version("t", 1) == 1)
check("versions hide it", c.get_versions("t") == [2], c.get_versions("t"))
check("versions deleted=true", c.get_versions("t", deleted=True) == [1, 2])
check("versions deleted_only=true", c.get_versions("t", deleted_only=True) == [1])
check("version deleted=true", c.get_version("t", 1, deleted=True).version == 1)
fails("version gone", 40402, lambda: fresh().get_version("t", 1))
fails("soft delete twice", 40406, lambda: c.delete_version("t", 1))
fails("permanent delete of a live version", 40407, lambda: c.delete_version("t", 2, permanent=True))
check("permanent delete", c.delete_version("t", 1, permanent=True) == 1)
fails("permanently gone", 40402, lambda: fresh().get_version("t", 1, deleted=True))
check("soft delete subject", c.delete_subject("t") == [2])
check("subjects deleted_only", c.get_subjects(deleted_only=True) == ["t"], c.get_subjects(deleted_only=True))
check("subjects deleted", "t" in c.get_subjects(deleted=True) and "t" not in c.get_subjects())
fails("subject soft-deleted twice", 40404, lambda: c.delete_subject("t"))
check("subjects paged", c.get_subjects(offset=1, limit=2) == sorted(c.get_subjects())[1:3])

# --- error codes a client branches on ------------------------------------
fails("subject not found", 40401, lambda: c.get_versions("nope"))
fails("version not found", 40402, lambda: c.get_version("address", 99))
fails("schema id not found", 40403, lambda: c.get_schema(99999))
fails("lookup in unknown subject", 40401, lambda: c.lookup_schema("nope", Schema(address, "AVRO")))
fails("lookup unknown schema", 40403, lambda: c.lookup_schema("address", Schema(v1, "AVRO")))
fails("invalid version", 42202, lambda: fresh().get_version("address", 0))
fails("invalid schema", 42201, lambda: c.register_schema("bad", Schema('{"type":"record"}', "AVRO")))
fails("invalid protobuf", 42201, lambda: c.register_schema("bad", Schema("message {", "PROTOBUF")))
fails("incompatible", 409, lambda: c.register_schema(
    "address", Schema('{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"int"}]}', "AVRO")))
print("DONE")
