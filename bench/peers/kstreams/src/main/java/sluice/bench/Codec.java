package sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * Reads and writes a row of named columns as ksqlDB's serdes do: a JSON
 * object, or an Avro record behind the Confluent wire-format header. Rows
 * are Object[] in column order, as ksqlDB's GenericRow holds them.
 */
interface Codec {
    Object[] decode(byte[] data);

    byte[] encode(Object[] row);

    /** The column types the peer writes. */
    enum Type { LONG, INT, DOUBLE, STRING }

    static Codec of(String format, String[] names, Type[] types, Path writerSchema) {
        if (format.equalsIgnoreCase("AVRO")) {
            return new AvroCodec(names, types, writerSchema);
        }
        return new JsonCodec(names, types);
    }

    final class JsonCodec implements Codec {
        private static final ObjectMapper MAPPER = new ObjectMapper();
        private final String[] names;
        private final Type[] types;

        JsonCodec(String[] names, Type[] types) {
            this.names = names;
            this.types = types;
        }

        @Override
        public Object[] decode(byte[] data) {
            try {
                JsonNode n = MAPPER.readTree(data);
                Object[] row = new Object[names.length];
                for (int i = 0; i < names.length; i++) {
                    JsonNode f = n.get(names[i]);
                    if (f == null || f.isNull()) {
                        continue;
                    }
                    row[i] = switch (types[i]) {
                        case LONG -> f.asLong();
                        case INT -> f.asInt();
                        case DOUBLE -> f.asDouble();
                        case STRING -> f.asText();
                    };
                }
                return row;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public byte[] encode(Object[] row) {
            ObjectNode n = MAPPER.createObjectNode();
            for (int i = 0; i < names.length; i++) {
                Object v = row[i];
                if (v == null) {
                    n.putNull(names[i]);
                } else if (v instanceof Long l) {
                    n.put(names[i], l);
                } else if (v instanceof Integer x) {
                    n.put(names[i], x);
                } else if (v instanceof Double d) {
                    n.put(names[i], d);
                } else {
                    n.put(names[i], v.toString());
                }
            }
            try {
                return MAPPER.writeValueAsBytes(n);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Decodes with the writer schema Sluice registered (dumped beside the
     * records) and encodes with a schema built as ksqlDB builds one:
     * optional fields in a record named KsqlDataSourceSchema.
     */
    final class AvroCodec implements Codec {
        private static final int SCHEMA_ID = 1;
        private final String[] names;
        private final Schema writeSchema;
        private final GenericDatumReader<GenericRecord> reader;
        private final GenericDatumWriter<GenericRecord> writer;
        private final int[] readPos;
        private BinaryDecoder decoder;
        private BinaryEncoder encoder;
        private GenericRecord reuse;

        AvroCodec(String[] names, Type[] types, Path writerSchema) {
            this.names = names;
            SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record("KsqlDataSourceSchema")
                    .namespace("io.confluent.ksql.avro_schemas").fields();
            for (int i = 0; i < names.length; i++) {
                fields = switch (types[i]) {
                    case LONG -> fields.optionalLong(names[i]);
                    case INT -> fields.optionalInt(names[i]);
                    case DOUBLE -> fields.optionalDouble(names[i]);
                    case STRING -> fields.optionalString(names[i]);
                };
            }
            this.writeSchema = fields.endRecord();
            this.writer = new GenericDatumWriter<>(writeSchema);
            Schema readSchema = writeSchema;
            if (writerSchema != null) {
                try {
                    readSchema = new Schema.Parser().parse(Files.readString(writerSchema));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            this.reader = new GenericDatumReader<>(readSchema);
            this.readPos = new int[names.length];
            for (int i = 0; i < names.length; i++) {
                Schema.Field f = readSchema.getField(names[i]);
                readPos[i] = f == null ? -1 : f.pos();
            }
        }

        @Override
        public Object[] decode(byte[] data) {
            try {
                decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, decoder);
                reuse = reader.read(reuse, decoder);
                Object[] row = new Object[names.length];
                for (int i = 0; i < names.length; i++) {
                    if (readPos[i] >= 0) {
                        Object v = reuse.get(readPos[i]);
                        row[i] = v instanceof CharSequence cs ? cs.toString() : v;
                    }
                }
                return row;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public byte[] encode(Object[] row) {
            GenericData.Record r = new GenericData.Record(writeSchema);
            for (int i = 0; i < names.length; i++) {
                r.put(i, row[i]);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(64);
            out.write(0);
            out.write(SCHEMA_ID >>> 24);
            out.write(SCHEMA_ID >>> 16);
            out.write(SCHEMA_ID >>> 8);
            out.write(SCHEMA_ID);
            encoder = EncoderFactory.get().binaryEncoder(out, encoder);
            try {
                writer.write(r, encoder);
                encoder.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }
    }
}
