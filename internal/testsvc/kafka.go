package testsvc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const kafkaVersion = "4.1.1"

// kafka is a single combined broker+controller KRaft node running the
// Apache broker jars from Maven Central.
type kafka struct{}

func (kafka) name() Name                  { return KafkaName }
func (kafka) version() string             { return kafkaVersion }
func (kafka) stopSignal() syscall.Signal  { return syscall.SIGTERM }
func (kafka) startTimeout() time.Duration { return 2 * time.Minute }

func kafkaLib(o *Options) string {
	return filepath.Join(o.Cache, "kafka-"+kafkaVersion, "lib")
}

func (kafka) install(ctx context.Context, o *Options) error {
	if err := ensureJava(ctx, o); err != nil {
		return err
	}
	return mavenCopy(ctx, o, filepath.Join(o.supportDir(), "kafka", "pom.xml"),
		map[string]string{"kafka.version": kafkaVersion}, kafkaLib(o))
}

// kafkaProperties is the node's server.properties. Every replication
// factor and minimum ISR is 1 so that internal topics (offsets,
// transactions, share groups) can be created on one node and transactions
// work. Retention by time is off: tests write records stamped in 1970
// (timestamp 0 or 1000), and the broker's retention check, every five
// minutes, would otherwise delete a whole partition's log under a running
// test, moving its log start past offsets the test is about to read.
func kafkaProperties(dir string, port, controllerPort int) string {
	return fmt.Sprintf(`# Written by internal/testsvc.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:%[2]d
listeners=PLAINTEXT://127.0.0.1:%[1]d,CONTROLLER://127.0.0.1:%[2]d
advertised.listeners=PLAINTEXT://127.0.0.1:%[1]d
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
`, port, controllerPort) + singleNodeProps(filepath.Join(dir, "data"), 10)
}

// singleNodeProps are the settings every test broker shares: one node, so
// every replication factor and minimum ISR is 1, and no retention by time
// (see kafkaProperties). internalPartitions sizes the offsets and
// transaction state topics.
func singleNodeProps(dataDir string, internalPartitions int) string {
	return fmt.Sprintf(`log.dirs=%[1]s
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=%[2]d
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=%[2]d
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.flush.interval.messages=9223372036854775807
log.retention.ms=-1
`, dataDir, internalPartitions)
}

const kafkaLog4j = `# Written by internal/testsvc: everything to stdout, which is the log file.
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.state.name=state.change.logger
logger.state.level=WARN
`

// kafkaJava is the java command line running main with args on the broker
// class path.
func kafkaJava(o *Options, dir string, args ...string) []string {
	base := []string{
		"-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
		"-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile=" + filepath.Join(dir, "log4j2.properties"),
		"-cp", filepath.Join(kafkaLib(o), "*"),
	}
	return append(base, args...)
}

func (kafka) launch(ctx context.Context, o *Options, dir string, st *State) error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	props := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(props, []byte(kafkaProperties(dir, ports[0], ports[1])), 0o644); err != nil {
		return fmt.Errorf("server.properties: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "log4j2.properties"), []byte(kafkaLog4j), 0o644); err != nil {
		return fmt.Errorf("log4j2.properties: %w", err)
	}
	clusterID, err := newClusterID()
	if err != nil {
		return err
	}
	fctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	format := exec.CommandContext(fctx, "java", kafkaJava(o, dir, "kafka.tools.StorageTool", "format",
		"-t", clusterID, "-c", props)...)
	if err := run(format); err != nil {
		return err
	}
	// The server is not tied to ctx: it outlives this call by design.
	pid, err := spawn(exec.Command("java", kafkaJava(o, dir, "kafka.Kafka", props)...), st.Log)
	if err != nil {
		return err
	}
	st.PID = pid
	st.Ports = map[string]int{"broker": ports[0], "controller": ports[1]}
	st.URL = "127.0.0.1:" + strconv.Itoa(ports[0])
	return nil
}

// ping asks the broker for cluster metadata: an answer listing a broker
// means the node is past KRaft election and registered, so produce
// requests will succeed.
func (kafka) ping(ctx context.Context, st *State) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(st.URL), kgo.RetryTimeout(2*time.Second))
	if err != nil {
		return err
	}
	defer cl.Close()
	md, err := kadm.NewClient(cl).BrokerMetadata(ctx)
	if err != nil {
		return err
	}
	if len(md.Brokers) == 0 {
		return errors.New("no brokers registered yet")
	}
	return nil
}

func (kafka) ready(context.Context, *State) error { return nil }
