package sluice.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;

/**
 * The Kafka Streams peer: Sluice's benchmark workloads written as a ksqlDB
 * query compiles them (decode, filter, project, join, aggregate, encode),
 * with the record cache off, run in TopologyTestDriver over the records
 * Sluice's run dumped.
 *
 * <p>The stores are Kafka Streams' in-memory stores, not RocksDB: the test
 * driver commits after every record, and a commit flushes a RocksDB store's
 * memtable into a new SST file, which made the peer a few hundred records
 * per second and measured the driver rather than Kafka Streams. In-memory
 * stores favour the peer, so the ratios understate Sluice, whose state is
 * on disk in Pebble. It prints one
 * JSON line with the same figures sluicebench prints.
 *
 * <p>Given a bootstrap server, a processing guarantee and the output count
 * to expect, it runs the same topology as a real KafkaStreams application on
 * RocksDB stores against that broker instead (see Broker).
 *
 * Usage: Peer WORKLOAD FORMAT DUMPDIR STATEDIR [BOOTSTRAP GUARANTEE EXPECTED_OUTPUTS]
 */
public final class Peer {
    private static final Serde<byte[]> BYTES = Serdes.ByteArray();
    /** Counts records reaching the sink, so a broker run knows when it is done. */
    static final AtomicLong OUTPUTS = new AtomicLong();
    private static final Codec.Type L = Codec.Type.LONG, I = Codec.Type.INT, D = Codec.Type.DOUBLE, S = Codec.Type.STRING;

    public static void main(String[] args) throws Exception {
        if (args.length != 4 && args.length != 7) {
            System.err.println("usage: Peer WORKLOAD FORMAT DUMPDIR STATEDIR [BOOTSTRAP GUARANTEE EXPECTED_OUTPUTS]");
            System.exit(2);
        }
        String workload = args[0], format = args[1];
        Path dump = Path.of(args[2]), stateDir = Path.of(args[3]);
        String[] inputs = inputs(workload);
        Dump[] data = new Dump[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            data[i] = Dump.read(dump.resolve(inputs[i] + ".bin"));
        }
        // The right table of a join is not counted, as Sluice's figure
        // counts the left side's records only.
        int records = workload.equals("join") || workload.equals("fkjoin") ? data[1].size() : Stream.of(data).mapToInt(Dump::size).sum();
        if (args.length == 7) {
            Broker.run(workload, format, dump, stateDir, inputs, data, records, args[4], args[5], Long.parseLong(args[6]));
            return;
        }
        StreamsBuilder b = new StreamsBuilder();
        build(b, workload, format, dump, "", true);

        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "peer-" + workload);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        Topology topology = b.build();

        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        long outputs = 0;
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props)) {
            TestOutputTopic<byte[], byte[]> out = driver.createOutputTopic("out", new ByteArrayDeserializer(), new ByteArrayDeserializer());
            TestInputTopic<byte[], byte[]>[] in = new TestInputTopic[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                in[i] = driver.createInputTopic(inputs[i], new ByteArraySerializer(), new ByteArraySerializer());
            }
            if (workload.equals("ssjoin")) {
                outputs = pipeMerged(in, data, out);
            } else {
                // The table first, as Sluice bootstraps it before joining.
                for (int i = 0; i < inputs.length; i++) {
                    outputs += pipe(in[i], data[i], out);
                }
            }
            outputs += out.getQueueSize();
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        print("kstreams-ttd", workload, format, records, outputs, wall, cpu, dirSize(stateDir));
    }

    static String[] inputs(String workload) {
        return switch (workload) {
            case "filter", "groupby" -> new String[] {"orders"};
            case "join" -> new String[] {"customers", "orders"};
            case "fkjoin" -> new String[] {"customers", "orders_t"};
            case "ssjoin" -> new String[] {"orders_by_id", "shipments"};
            default -> throw new IllegalArgumentException("unknown workload " + workload);
        };
    }

    /** Builds a workload's topology over topics named with prefix p, on in-memory (mem) or RocksDB stores. */
    static void build(StreamsBuilder b, String workload, String format, Path dump, String p, boolean mem) {
        switch (workload) {
            case "filter" -> filter(b, format, dump, p, mem);
            case "join" -> join(b, format, dump, p, mem);
            case "fkjoin" -> fkJoin(b, format, dump, p, mem);
            case "groupby" -> groupBy(b, format, dump, p, mem);
            case "ssjoin" -> streamJoin(b, format, dump, p, mem);
            default -> throw new IllegalArgumentException("unknown workload " + workload);
        }
    }

    static void print(String engine, String workload, String format, long records, long outputs, double wall, double cpu, long state)
            throws IOException {
        System.out.printf("{\"engine\":\"%s\",\"workload\":\"%s\",\"format\":\"%s\",\"records\":%d,\"outputs\":%d,"
                + "\"wall_s\":%.3f,\"cpu_s\":%.3f,\"records_per_core_s\":%.1f,\"records_per_s\":%.1f,"
                + "\"state_bytes\":%d,\"peak_rss_bytes\":%d}%n",
                engine, workload, format.toUpperCase(), records, outputs, wall, cpu, records / cpu, records / wall, state, peakRSS());
    }

    /** Pipes one input in order, draining the output as it goes. */
    private static long pipe(TestInputTopic<byte[], byte[]> in, Dump d, TestOutputTopic<byte[], byte[]> out) {
        long n = 0;
        for (int i = 0; i < d.size(); i++) {
            in.pipeInput(d.keys.get(i), d.values.get(i), d.timestamps.get(i));
            if ((i & 4095) == 4095) {
                n += drain(out);
            }
        }
        return n + drain(out);
    }

    /** Pipes several inputs in timestamp order, as Kafka Streams picks records across partitions. */
    private static long pipeMerged(TestInputTopic<byte[], byte[]>[] in, Dump[] data, TestOutputTopic<byte[], byte[]> out) {
        int[] pos = new int[in.length];
        long n = 0;
        for (long piped = 0;; piped++) {
            int best = -1;
            for (int i = 0; i < in.length; i++) {
                if (pos[i] < data[i].size() && (best < 0 || data[i].timestamps.get(pos[i]) < data[best].timestamps.get(pos[best]))) {
                    best = i;
                }
            }
            if (best < 0) {
                return n + drain(out);
            }
            int j = pos[best]++;
            in[best].pipeInput(data[best].keys.get(j), data[best].values.get(j), data[best].timestamps.get(j));
            if ((piped & 4095) == 4095) {
                n += drain(out);
            }
        }
    }

    private static long drain(TestOutputTopic<byte[], byte[]> out) {
        long n = 0;
        while (!out.isEmpty()) {
            out.readRecord();
            n++;
        }
        return n;
    }

    private static Codec orders(String format, Path dump) {
        return Codec.of(format, new String[] {"ORDERID", "ITEM", "PRICE", "QTY"}, new Codec.Type[] {L, S, D, I}, avsc(format, dump, "orders"));
    }

    private static Path avsc(String format, Path dump, String topic) {
        return format.equalsIgnoreCase("AVRO") ? dump.resolve(topic + ".avsc") : null;
    }

    // SELECT CUSTOMERID, ORDERID, ITEM, PRICE * QTY AS TOTAL FROM orders WHERE PRICE > 50.0
    private static void filter(StreamsBuilder b, String format, Path dump, String p, boolean mem) {
        Codec in = orders(format, dump);
        Codec out = Codec.of(format, new String[] {"ORDERID", "ITEM", "TOTAL"}, new Codec.Type[] {L, S, D}, null);
        b.stream(p + "orders", Consumed.with(BYTES, BYTES))
                .mapValues(in::decode)
                .filter((k, r) -> r[2] != null && (Double) r[2] > 50.0)
                .mapValues(r -> out.encode(new Object[] {r[0], r[1], times(r[2], r[3])}))
                .peek((k, v) -> OUTPUTS.incrementAndGet()).to(p + "out", Produced.with(BYTES, BYTES));
    }

    private static Double times(Object price, Object qty) {
        return price == null || qty == null ? null : (Double) price * (Integer) qty;
    }

    // SELECT o.CUSTOMERID, o.ORDERID, o.PRICE, c.NAME, c.REGION FROM orders o JOIN customers c ON o.CUSTOMERID = c.ID
    private static void join(StreamsBuilder b, String format, Path dump, String p, boolean mem) {
        Codec in = orders(format, dump);
        Codec cust = Codec.of(format, new String[] {"NAME", "REGION"}, new Codec.Type[] {S, S}, avsc(format, dump, "customers"));
        Codec out = Codec.of(format, new String[] {"ORDERID", "PRICE", "NAME", "REGION"}, new Codec.Type[] {L, D, S, S}, null);
        // ksqlDB materializes the table's serialized rows and decodes on lookup.
        KTable<byte[], byte[]> customers = b.table(p + "customers", Consumed.with(BYTES, BYTES),
                store("customers-store", mem));
        KStream<byte[], Object[]> orders = b.stream(p + "orders", Consumed.with(BYTES, BYTES)).mapValues(in::decode);
        orders.join(customers, (o, c) -> {
            Object[] cr = cust.decode(c);
            return out.encode(new Object[] {o[0], o[2], cr[0], cr[1]});
        }, Joined.with(BYTES, null, BYTES)).peek((k, v) -> OUTPUTS.incrementAndGet()).to(p + "out", Produced.with(BYTES, BYTES));
    }

    // SELECT o.ORDERID, o.CUSTOMERID, o.PRICE, c.NAME, c.REGION FROM orders_t o JOIN customers c ON o.CUSTOMERID = c.ID:
    // a foreign-key table-table join (KIP-213), as ksqlDB's ForeignKeyTableTableJoinBuilder plans it.
    private static void fkJoin(StreamsBuilder b, String format, Path dump, String p, boolean mem) {
        Codec ord = Codec.of(format, new String[] {"CUSTOMERID", "PRICE"}, new Codec.Type[] {S, D}, avsc(format, dump, "orders_t"));
        Codec cust = Codec.of(format, new String[] {"NAME", "REGION"}, new Codec.Type[] {S, S}, avsc(format, dump, "customers"));
        Codec out = Codec.of(format, new String[] {"CUSTOMERID", "PRICE", "NAME", "REGION"}, new Codec.Type[] {S, D, S, S}, null);
        KTable<byte[], byte[]> customers = b.table(p + "customers", Consumed.with(BYTES, BYTES), store("customers-store", mem));
        KTable<byte[], byte[]> orders = b.table(p + "orders_t", Consumed.with(BYTES, BYTES), store("orders-store", mem));
        // The customer's key is a KAFKA-format STRING: its UTF-8 bytes.
        orders.join(customers, (byte[] o) -> {
            Object fk = ord.decode(o)[0];
            return fk == null ? null : ((String) fk).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }, (o, c) -> {
            Object[] or = ord.decode(o);
            Object[] cr = cust.decode(c);
            return out.encode(new Object[] {or[0], or[1], cr[0], cr[1]});
        }, Materialized.with(BYTES, BYTES)).toStream().peek((k, v) -> OUTPUTS.incrementAndGet()).to(p + "out", Produced.with(BYTES, BYTES));
    }

    // SELECT CUSTOMERID, COUNT(*) AS N, SUM(PRICE * QTY) AS TOTAL FROM orders GROUP BY CUSTOMERID
    private static void groupBy(StreamsBuilder b, String format, Path dump, String p, boolean mem) {
        Codec in = orders(format, dump);
        Codec out = Codec.of(format, new String[] {"N", "TOTAL"}, new Codec.Type[] {L, D}, null);
        Codec agg = Codec.of("JSON", new String[] {"N", "TOTAL"}, new Codec.Type[] {L, D}, null);
        b.stream(p + "orders", Consumed.with(BYTES, BYTES))
                .groupByKey(Grouped.with(BYTES, BYTES))
                .aggregate(() -> agg.encode(new Object[] {0L, 0.0}), (k, v, a) -> {
                    Object[] r = in.decode(v);
                    Object[] s = agg.decode(a);
                    Double t = times(r[2], r[3]);
                    return agg.encode(new Object[] {(Long) s[0] + 1, (Double) s[1] + (t == null ? 0 : t)});
                }, store("agg-store", mem))
                .toStream()
                .mapValues(a -> out.encode(agg.decode(a)))
                .peek((k, v) -> OUTPUTS.incrementAndGet()).to(p + "out", Produced.with(BYTES, BYTES));
    }

    // SELECT o.ORDERID, o.CUSTOMERID, o.PRICE, s.SHIPMENTID, s.ORIGIN FROM orders_by_id o
    // JOIN shipments s WITHIN 10 MINUTES GRACE PERIOD 1 MINUTE ON o.ORDERID = s.ORDERID
    private static void streamJoin(StreamsBuilder b, String format, Path dump, String p, boolean mem) {
        Codec ord = Codec.of(format, new String[] {"CUSTOMERID", "PRICE"}, new Codec.Type[] {S, D}, avsc(format, dump, "orders_by_id"));
        Codec shp = Codec.of(format, new String[] {"SHIPMENTID", "ORIGIN"}, new Codec.Type[] {L, S}, avsc(format, dump, "shipments"));
        Codec out = Codec.of(format, new String[] {"CUSTOMERID", "PRICE", "SHIPMENTID", "ORIGIN"}, new Codec.Type[] {S, D, L, S}, null);
        JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMinutes(10), Duration.ofMinutes(1));
        KStream<byte[], byte[]> o = b.stream(p + "orders_by_id", Consumed.with(BYTES, BYTES));
        KStream<byte[], byte[]> s = b.stream(p + "shipments", Consumed.with(BYTES, BYTES));
        o.join(s, (ov, sv) -> {
            Object[] or = ord.decode(ov);
            Object[] sr = shp.decode(sv);
            return out.encode(new Object[] {or[0], or[1], sr[0], sr[1]});
        }, windows, StreamJoined.<byte[], byte[], byte[]>with(windowStore("this-join", windows, mem), windowStore("other-join", windows, mem))
                .withKeySerde(BYTES).withValueSerde(BYTES).withOtherValueSerde(BYTES)).peek((k, v) -> OUTPUTS.incrementAndGet()).to(p + "out", Produced.with(BYTES, BYTES));
    }

    /** A join store as Kafka Streams sizes one: the join window, kept for window plus grace. */
    private static WindowBytesStoreSupplier windowStore(String name, JoinWindows w, boolean mem) {
        Duration retention = Duration.ofMillis(w.size() + w.gracePeriodMs()), size = Duration.ofMillis(w.size());
        return mem ? Stores.inMemoryWindowStore(name, retention, size, true) : Stores.persistentWindowStore(name, retention, size, true);
    }

    private static Materialized<byte[], byte[], KeyValueStore<Bytes, byte[]>> store(String name, boolean mem) {
        KeyValueBytesStoreSupplier s = mem ? Stores.inMemoryKeyValueStore(name) : Stores.persistentKeyValueStore(name);
        return Materialized.<byte[], byte[]>as(s).withKeySerde(BYTES).withValueSerde(BYTES);
    }

    static long dirSize(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** VmHWM from /proc/self/status: the resident set's high-water mark. */
    private static long peakRSS() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }
}
