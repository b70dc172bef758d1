// Command sluice-demo runs the tutorial pipeline end to end for `make
// demo`: it starts PostgreSQL, FerretDB and OpenSearch through the test
// services harness, fills them with the tutorial's rows, starts `sluice
// server` on the embedded log, runs demo/tutorial.sql through the REST
// API, prints the documents of the index shipped_orders, and keeps
// running until Ctrl-C. It is demo tooling and never linked into sluice.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sluicedb/sluice/internal/demo"
	"github.com/sluicedb/sluice/internal/testsvc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "sluice-demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	bin := "bin/sluice"
	if len(os.Args) > 1 {
		bin = os.Args[1]
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	fmt.Println("==> starting PostgreSQL, FerretDB (MongoDB wire) and OpenSearch (first run installs them)")
	opts := testsvc.Options{}
	sts, err := testsvc.Start(ctx, opts, testsvc.PostgresName, testsvc.MongoName, testsvc.SearchName)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("==> stopping the services")
		_ = testsvc.Stop(context.Background(), opts, testsvc.PostgresName, testsvc.MongoName, testsvc.SearchName)
	}()
	ep := testsvc.EndpointsOf(sts)
	fmt.Println("==> creating the tutorial's customers table and logistics collections")
	if err := demo.SeedPostgres(ctx, ep.Postgres.DSN, ep.Postgres.DSNFor); err != nil {
		return err
	}
	if err := demo.SeedMongo(ctx, ep.MongoURI); err != nil {
		return err
	}
	// The sink writes to the index shipped_orders: start it empty.
	if err := demo.DeleteIndex(ctx, ep.SearchURL, "shipped_orders"); err != nil {
		return err
	}
	dataDir := filepath.Join(root, ".demo", "data")
	if err := os.RemoveAll(dataDir); err != nil {
		return err
	}
	base := "http://127.0.0.1:8088"
	fmt.Println("==> starting sluice server on the embedded log:", base)
	srv := exec.CommandContext(ctx, bin, "server", "--listeners", base, "--data-dir", dataDir, "--log-level", "warn")
	srv.Stdout, srv.Stderr = os.Stdout, os.Stderr
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}()
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := demo.WaitHealthy(wctx, base); err != nil {
		return err
	}
	sql, err := demo.TutorialSQL(root)
	if err != nil {
		return err
	}
	vars, err := demo.Vars(ep)
	if err != nil {
		return err
	}
	props := map[string]string{}
	for _, stmt := range demo.Statements(sql, vars) {
		if len(stmt) > 6 && (stmt[:3] == "SET" || stmt[:3] == "set") {
			// SET is the CLI's: send the property with each statement.
			props["auto.offset.reset"] = "earliest"
			continue
		}
		fmt.Printf("==> %s\n", firstLine(stmt))
		err := demo.Retry(wctx, func() error {
			_, err := demo.PostKSQL(ctx, base, stmt, props)
			return err
		})
		if err != nil {
			return err
		}
	}
	fmt.Println("==> waiting for the 5 shipped orders to reach the index shipped_orders")
	sctx, scancel := context.WithTimeout(ctx, 3*time.Minute)
	defer scancel()
	_, body, err := demo.WaitDocs(sctx, ep.SearchURL, "shipped_orders", 5, nil)
	if err != nil {
		return err
	}
	fmt.Printf("\n$ curl %s/shipped_orders/_search?pretty\n%s\n", ep.SearchURL, body)
	fmt.Printf("\nSluice is running the tutorial pipeline:\n"+
		"  REST API (ksqlDB):   %s   try: bin/sluice cli %s\n"+
		"  web console:         %s/console/\n"+
		"  metrics:             %s/metrics\n"+
		"  OpenSearch:          %s/shipped_orders/_search?pretty\n"+
		"  PostgreSQL:          %s\n"+
		"  MongoDB (FerretDB):  %s\n"+
		"Insert rows into customers, orders and shipments and watch the index update.\n"+
		"Press Ctrl-C to stop.\n", base, base, base, base, ep.SearchURL, ep.Postgres.DSNFor("customers"), ep.MongoURI)
	<-ctx.Done()
	fmt.Println("\n==> stopping")
	return nil
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i] + " ..."
		}
	}
	return s
}
