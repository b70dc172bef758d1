"""Drive a Sluice server with the third-party ksql-python-ng client.

Prints one JSON object with what the client returned, for the Go test to
assert on. Usage: python ksql_client.py URL
"""
import json
import sys

from ksql import KSQLAPI

url = sys.argv[1]
client = KSQLAPI(url)
out = {}
out["version"] = client.get_ksql_version()
out["create"] = client.ksql(
    "CREATE STREAM riders (id INT KEY, name STRING, km DOUBLE) "
    "WITH (kafka_topic='riders', value_format='json', partitions=1);"
)
out["streams"] = client.ksql("SHOW STREAMS;")
out["acks"] = client.inserts_stream(
    "riders",
    [{"ID": 1, "NAME": "alice", "KM": 1.5}, {"ID": 2, "NAME": "bob", "KM": 2.25}],
)
client.ksql("INSERT INTO riders (id, name, km) VALUES (3, 'carol', 3.0);")

# Pull query over HTTP/1.1 /query.
out["pull"] = "".join(client.query("SELECT name, km FROM riders WHERE id > 1;"))
# Pull query over HTTP/2 /query-stream.
out["pull_http2"] = "".join(client.query("SELECT id, name FROM riders;", use_http2=True))
# Push query from the beginning, ended by its LIMIT.
out["push"] = "".join(
    client.query(
        "SELECT id, name FROM riders EMIT CHANGES LIMIT 3;",
        stream_properties={"ksql.streams.auto.offset.reset": "earliest"},
    )
)
try:
    client.ksql("DESCRIBE nope;")
except Exception as e:  # the client's KSQLError
    out["error"] = str(e)
print(json.dumps(out))
