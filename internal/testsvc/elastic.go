package testsvc

import (
	"context"
	"path/filepath"
	"syscall"
	"time"
)

const elasticVersion = "7.10.2"

// elastic is a single Elasticsearch node, so that the Elasticsearch sink
// is tested on Elasticsearch's own API as well as OpenSearch's. It starts
// as the OpenSearch node does, from codelibs' elasticsearch-cluster-runner
// (services/elasticsearch). 7.10.2 is the newest Elasticsearch that can be
// had here: its modules are on Maven Central only through codelibs'
// republication, which stopped at 7.10.2 (the last Apache-2.0 release),
// and Elasticsearch 8 and 9 ship their modules only in distribution
// archives, which cannot be downloaded on this machine.
type elastic struct{}

func (elastic) name() Name                  { return ElasticName }
func (elastic) version() string             { return elasticVersion }
func (elastic) stopSignal() syscall.Signal  { return syscall.SIGTERM }
func (elastic) startTimeout() time.Duration { return 3 * time.Minute }

func elasticHome(o *Options) string { return filepath.Join(o.Cache, "elasticsearch-"+elasticVersion) }

func (elastic) install(ctx context.Context, o *Options) error {
	return installRunner(ctx, o, elasticHome(o), "elasticsearch", "SluiceElastic.java", elasticVersion+".0")
}

func (elastic) launch(_ context.Context, o *Options, dir string, st *State) error {
	// A smaller heap than OpenSearch's: it serves a few functional tests.
	return launchRunner(elasticHome(o), "SluiceElastic", "512m", dir, st)
}

func (elastic) ping(ctx context.Context, st *State) error { return pingCluster(ctx, st) }

func (elastic) ready(context.Context, *State) error { return nil }
