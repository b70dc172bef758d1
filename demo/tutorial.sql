-- The streaming ETL tutorial (ksqlDB's "streaming ETL pipeline"), as run by
-- `make demo`. The statements are the tutorial's own; only host names,
-- ports and credentials are variables, which `make demo` defines for the
-- local services (DEFINE them yourself to point at your own databases):
--
--   DEFINE PG_HOST = 'localhost';  DEFINE PG_PORT = '5432';
--   DEFINE PG_USER = 'postgres-user';  DEFINE PG_PASSWORD = 'postgres-pw';
--   DEFINE MONGO_HOSTS = 'mongo:27017';  DEFINE MONGO_USER = 'dbz-user';
--   DEFINE MONGO_PASSWORD = 'dbz-pw';  DEFINE ES_URL = 'http://elastic:9200';

SET 'auto.offset.reset' = 'earliest';

CREATE SOURCE CONNECTOR customers_reader WITH (
    'connector.class' = 'io.debezium.connector.postgresql.PostgresConnector',
    'database.hostname' = '${PG_HOST}',
    'database.port' = '${PG_PORT}',
    'database.user' = '${PG_USER}',
    'database.password' = '${PG_PASSWORD}',
    'database.dbname' = 'customers',
    'database.server.name' = 'customers',
    'database.history.kafka.bootstrap.servers' = 'broker:9092',
    'database.history.kafka.topic' = 'customers',
    'table.whitelist' = 'public.customers',
    'transforms' = 'unwrap',
    'transforms.unwrap.type' = 'io.debezium.transforms.ExtractNewRecordState',
    'transforms.unwrap.drop.tombstones' = 'false',
    'transforms.unwrap.delete.handling.mode' = 'rewrite'
);

CREATE SOURCE CONNECTOR logistics_reader WITH (
    'connector.class' = 'io.debezium.connector.mongodb.MongoDbConnector',
    'mongodb.hosts' = '${MONGO_HOSTS}',
    'mongodb.name' = 'my-replica-set',
    'mongodb.authsource' = 'admin',
    'mongodb.user' = '${MONGO_USER}',
    'mongodb.password' = '${MONGO_PASSWORD}',
    'database.history.kafka.bootstrap.servers' = 'broker:9092',
    'database.history.kafka.topic' = 'logistics',
    'collection.whitelist' = 'logistics.*',
    'transforms' = 'unwrap',
    'transforms.unwrap.type' = 'io.debezium.connector.mongodb.transforms.ExtractNewDocumentState',
    'transforms.unwrap.drop.tombstones' = 'false',
    'transforms.unwrap.delete.handling.mode' = 'drop',
    'transforms.unwrap.operation.header' = 'true'
);

CREATE STREAM customers WITH (
    kafka_topic = 'customers.public.customers',
    value_format = 'avro'
);

CREATE STREAM orders WITH (
    kafka_topic = 'my-replica-set.logistics.orders',
    value_format = 'avro',
    timestamp = 'ts',
    timestamp_format = 'yyyy-MM-dd''T''HH:mm:ss'
);

CREATE STREAM shipments WITH (
    kafka_topic = 'my-replica-set.logistics.shipments',
    value_format = 'avro',
    timestamp = 'ts',
    timestamp_format = 'yyyy-MM-dd''T''HH:mm:ss'
);

CREATE TABLE customers_by_key AS
    SELECT id,
           latest_by_offset(name) AS name,
           latest_by_offset(age) AS age
    FROM customers
    GROUP BY id
    EMIT CHANGES;

CREATE STREAM enriched_orders AS
    SELECT o.order_id,
           o.price,
           o.currency,
           c.id AS customer_id,
           c.name AS customer_name,
           c.age AS customer_age
    FROM orders AS o
    LEFT JOIN customers_by_key c
    ON o.customer_id = c.ROWKEY
    EMIT CHANGES;

CREATE STREAM shipped_orders WITH (
    kafka_topic = 'shipped_orders'
) AS
    SELECT o.order_id,
           s.shipment_id,
           o.customer_id,
           o.customer_name,
           o.customer_age,
           s.origin,
           o.price,
           o.currency
    FROM enriched_orders AS o
    INNER JOIN shipments s
    WITHIN 7 DAYS
    ON s.order_id = o.order_id
    EMIT CHANGES;

CREATE SINK CONNECTOR enriched_writer WITH (
    'connector.class' = 'io.confluent.connect.elasticsearch.ElasticsearchSinkConnector',
    'connection.url' = '${ES_URL}',
    'type.name' = 'kafka-connect',
    'topics' = 'shipped_orders'
);
