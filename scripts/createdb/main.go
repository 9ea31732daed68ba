// Command createdb creates a PostgreSQL database unless it exists, for
// scripts/run: it needs only Go, where the createdb and psql clients may be
// missing (a server in a container) or refuse the connection's user.
//
//	go run ./scripts/createdb ADMIN_URL NAME
//	go run ./scripts/createdb --drop ADMIN_URL NAME   (scripts/deploy-smoke's teardown)
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "--drop" {
		if err := drop(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "createdb --drop:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: createdb ADMIN_URL NAME")
		os.Exit(2)
	}
	if err := create(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "createdb:", err)
		os.Exit(1)
	}
}

func create(adminURL, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "select exists (select 1 from pg_database where datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "create database "+pgx.Identifier{name}.Sanitize())
	return err
}

// drop removes a database, disconnecting its sessions.
func drop(adminURL, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "drop database if exists "+pgx.Identifier{name}.Sanitize()+" with (force)")
	return err
}
