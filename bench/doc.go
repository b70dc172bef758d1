// Package bench owns Sluice's end-to-end benchmarks and the peers they are
// compared with. It assembles a whole engine (embedded log, embedded
// schema registry, Pebble state, built-in functions), produces a workload's
// records straight into the log, runs the workload's persistent query to
// completion and reports throughput per core of CPU actually used,
// allocations per record, state size on disk and peak RSS.
//
// The same records can be dumped to files (see Dump) so that the peers
// under bench/peers, which run the same logic on Kafka Streams, read
// exactly the bytes Sluice read; bench/run.sh puts the figures side by
// side.
package bench
