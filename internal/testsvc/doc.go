// Package testsvc owns the real services that Sluice's tests and demo run
// against: a private PostgreSQL cluster with logical decoding, a single-node
// Apache Kafka (KRaft), an OpenSearch node and a FerretDB MongoDB-wire
// endpoint. It installs what is missing, starts what is not running, reuses
// what is already up and stops everything on request, so `make test` works on
// a fresh machine with nothing installed by hand.
//
// Installs (resolved jars, the FerretDB binary) are cached under
// $HOME/.cache/sluice-testsvc, shared by every checkout. Running state (data
// directories, logs, a state.json with ports and pids) lives under
// <repo>/.services/<service>. Services outlive the process that started
// them: a later test binary or `sluice-testsvc up` finds the state file,
// pings the service over its own protocol and reuses it.
//
// Several test binaries run at once under `go test ./...`, so every
// install and start happens under a file lock (flock). The lock order is:
// the service lock (.services/<name>.lock) before the install lock
// (<cache>/<name>.lock); nothing takes them the other way round.
//
// Tests call Postgres, Kafka, Search or Mongo, or NewPostgresCluster for a
// cluster of their own that they may restart; the demo and the
// sluice-testsvc command call Start, Stop and Status.
package testsvc
