// Package demo owns the tutorial pipeline as a runnable demo and an
// end-to-end fixture: it fills the tutorial's PostgreSQL table and MongoDB
// collections with the tutorial's rows, and reads the tutorial's SQL file
// (demo/tutorial.sql) with the variables for the local services. It is
// test and demo tooling, never linked into the sluice binary.
package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Customers are the tutorial's rows for the customers table.
var Customers = []struct {
	ID, Name string
	Age      int
}{{"5", "fred", 34}, {"7", "sue", 25}, {"2", "bill", 51}}

// Orders are the tutorial's documents for logistics.orders.
var Orders = []bson.D{
	{{Key: "customer_id", Value: "2"}, {Key: "order_id", Value: "13"}, {Key: "price", Value: 50.50}, {Key: "currency", Value: "usd"}, {Key: "ts", Value: "2020-04-03T11:20:00"}},
	{{Key: "customer_id", Value: "7"}, {Key: "order_id", Value: "29"}, {Key: "price", Value: 15.00}, {Key: "currency", Value: "aud"}, {Key: "ts", Value: "2020-04-02T12:36:00"}},
	{{Key: "customer_id", Value: "5"}, {Key: "order_id", Value: "17"}, {Key: "price", Value: 25.25}, {Key: "currency", Value: "eur"}, {Key: "ts", Value: "2020-04-02T17:22:00"}},
	{{Key: "customer_id", Value: "5"}, {Key: "order_id", Value: "15"}, {Key: "price", Value: 13.75}, {Key: "currency", Value: "usd"}, {Key: "ts", Value: "2020-04-03T02:55:00"}},
	{{Key: "customer_id", Value: "7"}, {Key: "order_id", Value: "22"}, {Key: "price", Value: 29.71}, {Key: "currency", Value: "aud"}, {Key: "ts", Value: "2020-04-04T00:12:00"}},
}

// Shipments are the tutorial's documents for logistics.shipments.
var Shipments = []bson.D{
	{{Key: "order_id", Value: "17"}, {Key: "shipment_id", Value: "75"}, {Key: "origin", Value: "texas"}, {Key: "ts", Value: "2020-04-04T19:20:00"}},
	{{Key: "order_id", Value: "22"}, {Key: "shipment_id", Value: "71"}, {Key: "origin", Value: "iowa"}, {Key: "ts", Value: "2020-04-04T12:25:00"}},
	{{Key: "order_id", Value: "29"}, {Key: "shipment_id", Value: "89"}, {Key: "origin", Value: "california"}, {Key: "ts", Value: "2020-04-05T13:21:00"}},
	{{Key: "order_id", Value: "13"}, {Key: "shipment_id", Value: "92"}, {Key: "origin", Value: "maine"}, {Key: "ts", Value: "2020-04-04T06:13:00"}},
	{{Key: "order_id", Value: "15"}, {Key: "shipment_id", Value: "95"}, {Key: "origin", Value: "florida"}, {Key: "ts", Value: "2020-04-04T01:13:00"}},
}

// SeedPostgres creates the database customers (dropping an old one) and
// the tutorial's customers table with its rows. adminDSN connects as a
// superuser; dsnFor returns the DSN of a named database.
func SeedPostgres(ctx context.Context, adminDSN string, dsnFor func(db string) string) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return fmt.Errorf("demo: connect to postgres: %w", err)
	}
	// A replication slot left by an earlier run would block the drop.
	_, _ = conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = 'customers'`)
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS customers WITH (FORCE)`); err != nil {
		conn.Close(ctx)
		return fmt.Errorf("demo: drop database customers: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE customers`); err != nil {
		conn.Close(ctx)
		return fmt.Errorf("demo: create database customers: %w", err)
	}
	conn.Close(ctx)
	db, err := pgx.Connect(ctx, dsnFor("customers"))
	if err != nil {
		return fmt.Errorf("demo: connect to customers: %w", err)
	}
	defer db.Close(ctx)
	if _, err := db.Exec(ctx, `CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT, age INT)`); err != nil {
		return fmt.Errorf("demo: create table customers: %w", err)
	}
	for _, c := range Customers {
		if _, err := db.Exec(ctx, `INSERT INTO customers (id, name, age) VALUES ($1, $2, $3)`, c.ID, c.Name, c.Age); err != nil {
			return fmt.Errorf("demo: insert customer %s: %w", c.ID, err)
		}
	}
	return nil
}

// SeedMongo (re)creates the logistics collections with the tutorial's
// documents.
func SeedMongo(ctx context.Context, uri string) error {
	cl, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return fmt.Errorf("demo: connect to mongodb: %w", err)
	}
	defer cl.Disconnect(ctx)
	db := cl.Database("logistics")
	if err := db.Drop(ctx); err != nil {
		return fmt.Errorf("demo: drop logistics: %w", err)
	}
	for name, docs := range map[string][]bson.D{"orders": Orders, "shipments": Shipments} {
		if err := db.CreateCollection(ctx, name); err != nil {
			return fmt.Errorf("demo: create collection %s: %w", name, err)
		}
		for _, d := range docs {
			if _, err := db.Collection(name).InsertOne(ctx, d); err != nil {
				return fmt.Errorf("demo: insert into %s: %w", name, err)
			}
		}
	}
	return nil
}

// TutorialSQL reads demo/tutorial.sql from the repository root above dir.
func TutorialSQL(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "demo", "tutorial.sql"))
		if err == nil {
			return string(b), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("demo: demo/tutorial.sql not found above %s", dir)
		}
	}
}
