// SluiceElastic runs one Elasticsearch 7.10 node in-process for Sluice's
// tests, beside the OpenSearch node, so the sink is tested on both. It
// exists because the runner's own main() swallows start-up errors and
// picks ports itself; the harness needs fixed ports, a single-node cluster
// and a clear failure in the log.
//
// Usage: java -cp <jars>:<classes> SluiceElastic <basePath> <httpPort> <transportPort>
import org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner;

public final class SluiceElastic {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: SluiceElastic <basePath> <httpPort> <transportPort>");
            System.exit(2);
        }
        final String base = args[0];
        final int httpPort = Integer.parseInt(args[1]);
        final int transportPort = Integer.parseInt(args[2]);
        final ElasticsearchClusterRunner runner = new ElasticsearchClusterRunner();
        // Close the node on SIGTERM so Lucene flushes and the lock is released.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        try {
            runner.onBuild((index, settings) -> {
                settings.put("http.host", "127.0.0.1");
                settings.put("transport.host", "127.0.0.1");
                settings.put("http.port", String.valueOf(httpPort));
                settings.put("transport.port", String.valueOf(transportPort));
                settings.put("discovery.type", "single-node");
                // A test machine's disk is often fuller than the default
                // watermarks allow; a read-only index would fail every test.
                settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
                settings.put("action.auto_create_index", "true");
            }).build(ElasticsearchClusterRunner.newConfigs()
                    .basePath(base)
                    .numOfNode(1)
                    .clusterName("sluice")
                    .printOnFailure()
                    .useLogger());
            runner.ensureYellow();
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
        System.out.println("SluiceElastic ready on 127.0.0.1:" + httpPort);
        System.out.flush();
        while (!runner.isClosed()) {
            Thread.sleep(1000);
        }
    }
}
