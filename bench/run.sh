#!/usr/bin/env bash
# run.sh runs every benchmark workload on Sluice and on the Kafka Streams
# peer, on the same records in the same run, and prints a table of records
# per core-second with the ratio Sluice/peer.
#
#   RECORDS=1000000            workload size
#   WORKLOADS="filter join fkjoin groupby ssjoin"
#   FORMATS="JSON AVRO"
#   PEERS="kstreams"           any of: kstreams (a KafkaStreams application
#                              on the real broker, at_least_once),
#                              kstreams-eos (the same under exactly_once_v2),
#                              kstreams-ttd (TopologyTestDriver, no broker,
#                              in-memory stores); or "none"
#   KAFKA_BOOTSTRAP=host:port  the broker; default: the test services' one,
#                              started if needed (go run ./cmd/sluice-testsvc)
#   PROFILE=1                  write a CPU profile per Sluice run
#   SLUICE_KAFKA="exactly_once_v2 at_least_once"
#                              also run Sluice on the broker under these
#                              guarantees (engines sluice-kafka-eos and
#                              sluice-kafka-alos in the results; the
#                              tables compare each with the peers)
#
# Everything built or written goes under bench/.work (ignored by git).
set -euo pipefail
cd "$(dirname "$0")"
BENCH=$PWD
WORK=$BENCH/.work
RECORDS=${RECORDS:-1000000}
WORKLOADS=${WORKLOADS:-filter join fkjoin groupby ssjoin}
FORMATS=${FORMATS:-JSON AVRO}
PEERS=${PEERS:-kstreams}
GO=${GO:-go}
peer=$BENCH/peers/kstreams
mkdir -p "$WORK/bin"
results=${RESULTS:-$WORK/results.jsonl}
: > "$results"

echo "building sluicebench" >&2
(cd .. && $GO build -o "$WORK/bin/sluicebench" ./bench/cmd/sluicebench)

if [[ $PEERS == *kstreams* ]]; then
	if [[ $PEERS =~ kstreams($|[^-]|-eos) && -z ${KAFKA_BOOTSTRAP:-} ]]; then
		echo "starting the test services' Kafka broker" >&2
		(cd .. && $GO run ./cmd/sluice-testsvc up kafka >&2)
		KAFKA_BOOTSTRAP=$(cd .. && $GO run ./cmd/sluice-testsvc env | sed -n "s/^export SLUICE_KAFKA_BOOTSTRAP=//p" | tr -d "'")
	fi
	echo "building the Kafka Streams peer (dependencies from Maven Central)" >&2

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
		outputs=$(tail -1 "$results" | grep -o '"outputs":[0-9]*' | cut -d: -f2)
		for g in ${SLUICE_KAFKA:-}; do
			e=sluice-kafka-alos
			[[ $g == exactly_once_v2 ]] && e=sluice-kafka-eos
			echo "$e $w $f" >&2
			# ksqlDB's (and the peer's) commit interval, 2 s.
			"$WORK/bin/sluicebench" -workload "$w" -format "$f" -records "$RECORDS" \
				-dir "$run/$e" -kafka "$KAFKA_BOOTSTRAP" -guarantee "$g" -commit-interval 2s |
				sed "s/^{/{\"engine\":\"$e\",/" >> "$results" || echo "$e $w $f failed" >&2
			rm -rf "$run/$e"
		done
		cp=("$peer/target/classes:$peer/target/lib/*")
		for p in $PEERS; do
			case $p in
			kstreams | kstreams-eos)
				g=at_least_once
				[[ $p == kstreams-eos ]] && g=exactly_once_v2
				echo "$p $w $f" >&2
				java -Xms1g -Xmx1g -cp "${cp[@]}" sluice.bench.Peer "$w" "$f" "$run/dump" "$run/$p" \
					"$KAFKA_BOOTSTRAP" "$g" "$outputs" >> "$results" || echo "$p $w $f failed" >&2
				;;
			kstreams-ttd)
				echo "$p $w $f" >&2
				java -Xms1g -Xmx1g -cp "${cp[@]}" sluice.bench.Peer "$w" "$f" "$run/dump" "$run/$p" >> "$results" || echo "$p $w $f failed" >&2
				;;
			none) ;;
			*)
				echo "unknown peer $p" >&2
				exit 2
				;;
			esac
		done
		rm -rf "$run"
	done
done

"$WORK/bin/sluicebench" report "$results"
for g in ${SLUICE_KAFKA:-}; do
	e=sluice-kafka-alos
	[[ $g == exactly_once_v2 ]] && e=sluice-kafka-eos
	echo
	"$WORK/bin/sluicebench" report "$results" "$e"
done
