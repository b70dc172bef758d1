#!/usr/bin/env bash
# run.sh runs every benchmark workload on Sluice and on the Kafka Streams
# peer, on the same records in the same run, and prints a table of records
# per core-second with the ratio Sluice/peer.
#
#   RECORDS=1000000            workload size
#   WORKLOADS="filter join groupby ssjoin"
#   FORMATS="JSON AVRO"
#   PEERS=kstreams             or "none" to run Sluice alone
#   PROFILE=1                  write a CPU profile per Sluice run
#
# Everything built or written goes under bench/.work (ignored by git).
set -euo pipefail
cd "$(dirname "$0")"
BENCH=$PWD
WORK=$BENCH/.work
RECORDS=${RECORDS:-1000000}
WORKLOADS=${WORKLOADS:-filter join groupby ssjoin}
FORMATS=${FORMATS:-JSON AVRO}
PEERS=${PEERS:-kstreams}
GO=${GO:-go}
mkdir -p "$WORK/bin"
results=$WORK/results.jsonl
: > "$results"

echo "building sluicebench" >&2
(cd .. && $GO build -o "$WORK/bin/sluicebench" ./bench/cmd/sluicebench)

if [[ $PEERS == *kstreams* ]]; then
	echo "building the Kafka Streams peer (dependencies from Maven Central)" >&2
	peer=$BENCH/peers/kstreams
	if [[ ! -d $peer/target/lib ]]; then
		mvn -q -B -f "$peer/pom.xml" dependency:copy-dependencies -DoutputDirectory="$peer/target/lib" >&2
	fi
	rm -rf "$peer/target/classes"
	javac -nowarn -Xlint:none -d "$peer/target/classes" -cp "$peer/target/lib/*" $(find "$peer/src" -name '*.java') 2>/dev/null
fi

for w in $WORKLOADS; do
	for f in $FORMATS; do
		run=$WORK/run/$w-$f
		rm -rf "$run"
		mkdir -p "$run"
		prof=()
		if [[ -n ${PROFILE:-} ]]; then
			prof=(-cpuprofile "$WORK/$w-$f.pprof")
		fi
		echo "sluice  $w $f ($RECORDS records)" >&2
		"$WORK/bin/sluicebench" -workload "$w" -format "$f" -records "$RECORDS" \
			-dir "$run/sluice" -dump "$run/dump" "${prof[@]}" |
			sed 's/^{/{"engine":"sluice",/' >> "$results"
		rm -rf "$run/sluice"
		if [[ $PEERS == *kstreams* ]]; then
			echo "kstreams $w $f" >&2
			java -Xms1g -Xmx1g -cp "$peer/target/classes:$peer/target/lib/*" sluice.bench.Peer \
				"$w" "$f" "$run/dump" "$run/kstreams" >> "$results"
		fi
		rm -rf "$run"
	done
done

"$WORK/bin/sluicebench" report "$results"
