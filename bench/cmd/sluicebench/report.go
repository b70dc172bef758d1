package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/sluicedb/sluice/bench"
)

// line is one result line, from sluicebench or a peer; the peers print the
// same field names.
type line struct {
	Engine string `json:"engine"`
	bench.Result
}

// report prints the results in file as one row per workload and format:
// the figures of base (a Sluice run: "sluice" on the embedded log,
// "sluice-kafka-eos" or "sluice-kafka-alos" on the broker), each peer's,
// and the ratio base/peer per core. Other Sluice runs are not peers.
func report(file, base string, w io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	type key struct{ workload, format string }
	var order []key
	byKey := map[key]map[string]line{}
	var peers []string
	seenPeer := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("report: %s: %w", file, err)
		}
		k := key{l.Workload, l.Format}
		if byKey[k] == nil {
			byKey[k] = map[string]line{}
			order = append(order, k)
		}
		byKey[k][l.Engine] = l
		if !strings.HasPrefix(l.Engine, "sluice") && !seenPeer[l.Engine] {
			seenPeer[l.Engine] = true
			peers = append(peers, l.Engine)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("report: %s: %w", file, err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	hdr := fmt.Sprintf("workload\tformat\trecords\t%s rec/core-s\ttarget\tvs target\tksqlDB guide\tallocs/rec\tstate MiB\tpeak RSS MiB\t", base)
	for _, p := range peers {
		hdr += fmt.Sprintf("%s rec/core-s\t%s/%s\t%s state MiB\t%s peak RSS MiB\t", p, base, p, p, p)
	}
	fmt.Fprintln(tw, hdr)
	for _, k := range order {
		s, ok := byKey[k][base]
		if !ok {
			continue
		}
		target, guide := bench.Target(k.workload, k.format)
		vsTarget := "-"
		if target > 0 {
			vsTarget = fmt.Sprintf("%.2fx", s.PerCore/target)
		}
		row := fmt.Sprintf("%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%.1f\t%.1f\t%.0f\t", k.workload, k.format, s.Records,
			s.PerCore, orDash(target), vsTarget, orDash(guide), s.AllocsPerRecord, mib(s.StateBytes), mib(s.PeakRSS))
		for _, p := range peers {
			pl, ok := byKey[k][p]
			if !ok || pl.PerCore == 0 {
				row += "-\t-\t-\t-\t"
				continue
			}
			if pl.Outputs != s.Outputs {
				row += fmt.Sprintf("%.0f\t(outputs %d != %d)\t", pl.PerCore, pl.Outputs, s.Outputs)
			} else {
				row += fmt.Sprintf("%.0f\t%.2fx\t", pl.PerCore, s.PerCore/pl.PerCore)
			}
			row += fmt.Sprintf("%.1f\t%.0f\t", mib(pl.StateBytes), mib(pl.PeakRSS))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func orDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}
