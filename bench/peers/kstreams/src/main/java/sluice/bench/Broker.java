package sluice.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Runs a workload as a real KafkaStreams application against a broker:
 * the dumped records are produced into fresh topics first (not measured),
 * then the application starts and runs until its sink has seen the output
 * count Sluice wrote. CPU time is the whole JVM's from start to that point,
 * so it includes the consumer, producer, RocksDB and commit threads, as
 * Sluice's includes its whole process.
 */
final class Broker {
    private Broker() {}

    static void run(String workload, String format, Path dump, Path stateDir, String[] inputs, Dump[] data, long records,
            String bootstrap, String guarantee, long expected) throws Exception {
        String p = "bench-" + workload + "-" + format.toLowerCase() + "-" + System.currentTimeMillis() + "-";
        Properties common = new Properties();
        common.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(common)) {
            List<NewTopic> topics = new ArrayList<>();
            for (String in : inputs) {
                topics.add(new NewTopic(p + in, 1, (short) 1));
            }
            topics.add(new NewTopic(p + "out", 1, (short) 1));
            admin.createTopics(topics).all().get();
            produce(bootstrap, p, inputs, data);
            // The records are in the broker now; the application's heap
            // should not carry them while it runs (a million JSON records
            // left the 1 GiB heap too little room, and the run stalled).
            java.util.Arrays.fill(data, null);

            StreamsBuilder b = new StreamsBuilder();
            Peer.build(b, workload, format, dump, p, false);
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, p + "app");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
            // ksqlDB's default commit interval.
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 2000);
            props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
            props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            Peer.OUTPUTS.set(0);
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            long state;
            try (KafkaStreams streams = new KafkaStreams(b.build(), props)) {
                streams.start();
                // A run that makes no progress for two minutes has failed; it
                // is reported rather than waited on forever.
                long last = -1, lastChange = System.nanoTime();
                while (Peer.OUTPUTS.get() < expected) {
                    if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) {
                        throw new IllegalStateException("kafka streams stopped: " + streams.state());
                    }
                    long n = Peer.OUTPUTS.get();
                    if (n != last) {
                        last = n;
                        lastChange = System.nanoTime();
                    } else if (System.nanoTime() - lastChange > 120_000_000_000L) {
                        throw new IllegalStateException("kafka streams stalled at " + n + " of " + expected + " outputs");
                    }
                    Thread.sleep(20);
                }
                double wall = (System.nanoTime() - t0) / 1e9;
                double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                state = Peer.dirSize(stateDir);
                Peer.print(guarantee.equals("exactly_once_v2") ? "kstreams-eos" : "kstreams-alos", workload, format, records, Peer.OUTPUTS.get(), wall, cpu, state);
                streams.close();
                streams.cleanUp();
            }
            Set<String> mine = admin.listTopics().names().get().stream().filter(t -> t.startsWith(p)).collect(Collectors.toSet());
            admin.deleteTopics(mine).all().get();
        }
    }

    private static void produce(String bootstrap, String p, String[] inputs, Dump[] data) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20);
        try (KafkaProducer<byte[], byte[]> prod = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < inputs.length; i++) {
                Dump d = data[i];
                for (int j = 0; j < d.size(); j++) {
                    prod.send(new ProducerRecord<>(p + inputs[i], 0, d.timestamps.get(j), d.keys.get(j), d.values.get(j)));
                }
            }
            prod.flush();
        }
    }
}
