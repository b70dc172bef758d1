// Command sluicebench runs one benchmark workload on a fresh engine and
// prints its figures as one JSON line. bench/run.sh starts one process per
// workload, so each peak RSS belongs to one workload, and passes -dump so
// the peers read the same records.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/sluicedb/sluice/bench"
)

func main() {
	workload := flag.String("workload", "filter", "workload: filter, join, fkjoin, groupby or ssjoin")
	valueFormat := flag.String("format", "JSON", "value format: JSON or AVRO")
	records := flag.Int("records", 1_000_000, "workload size")
	dir := flag.String("dir", "", "empty directory for the log and state (default: a temporary one)")
	dump := flag.String("dump", "", "directory to write the input records to, for the peers")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the query's run here")
	kafkaAddr := flag.String("kafka", "", "run on this Kafka cluster (host:port) instead of the embedded log")
	guarantee := flag.String("guarantee", "exactly_once_v2", "processing.guarantee on Kafka: exactly_once_v2 or at_least_once")
	commitInterval := flag.Duration("commit-interval", 0, "commit.interval.ms on Kafka (default: Sluice's, 100ms)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: sluicebench [flags]   run one workload\n       sluicebench report FILE [ENGINE]   print a results file as a table, ENGINE (default sluice) against the others")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.Arg(0) == "report" {
		base := flag.Arg(2)
		if base == "" {
			base = "sluice"
		}
		if err := report(flag.Arg(1), base, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "sluicebench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*workload, *valueFormat, *records, *dir, *dump, *cpuprofile, bench.Options{Kafka: *kafkaAddr, Guarantee: *guarantee, CommitInterval: *commitInterval}); err != nil {
		fmt.Fprintln(os.Stderr, "sluicebench:", err)
		os.Exit(1)
	}
}

func run(workload, valueFormat string, records int, dir, dump, cpuprofile string, kopts bench.Options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	w, err := bench.Lookup(workload)
	if err != nil {
		return err
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "sluicebench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	res, err := bench.Run(ctx, w, bench.Options{Dir: dir, Format: valueFormat, Records: records, DumpDir: dump, CPUProfile: cpuprofile,
		Kafka: kopts.Kafka, Guarantee: kopts.Guarantee, CommitInterval: kopts.CommitInterval})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}
