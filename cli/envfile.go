package cli

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// secretVariables are the host's own variables that carry credentials.
// Each may instead be given as NAME_FILE, the path of a file holding the
// value (Docker and Kubernetes secrets are files under /run/secrets), and
// loadFileVariables sets NAME from it before anything reads NAME.
var secretVariables = []string{
	"DATABASE_URL", "DATABASE_READ_URL", "REDIS_URL",
	"SX_INTERNAL_SECRET", "SX_SESSION_KEYS", "SX_SESSION_SECRET",
	"SMTP_URL", "OIDC_KEY_SECRET", "OTEL_EXPORTER_OTLP_HEADERS",
	"SX_REPL_DATABASE_URL",
}

// loadFileVariables sets each secret variable given as NAME_FILE from its
// file, without the trailing newline. Setting NAME and NAME_FILE to
// different values is an error: one would be silently ignored, and a
// rotation would then change nothing.
func loadFileVariables(lookup func(string) (string, bool), setenv func(string, string) error) error {
	for _, name := range secretVariables {
		val, ok, err := fileValue(lookup, name)
		if err != nil {
			return err
		}
		if ok {
			if err := setenv(name, val); err != nil {
				return fmt.Errorf("%s_FILE: %w", name, err)
			}
		}
	}
	return nil
}

// fileValue reads NAME_FILE's file when that variable is set.
func fileValue(lookup func(string) (string, bool), name string) (string, bool, error) {
	path, ok := lookup(name + "_FILE")
	if !ok || path == "" {
		return "", false, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("%s_FILE: %w", name, err)
	}
	val := strings.TrimRight(string(b), "\r\n")
	if old, _ := lookup(name); old != "" && old != val {
		return "", false, fmt.Errorf("both %s and %s_FILE are set: keep one", name, name)
	}
	return val, true, nil
}

// serviceGetenv is the configuration the services' code reads with
// (env NAME) (only names a defservice declares): NAME, or the contents of
// the file NAME_FILE names, so an API key can be a Docker secret too. Each
// file is read once; a changed secret takes a restart, as a changed
// variable does.
func serviceGetenv(log func(msg string, args ...any)) func(string) string {
	var mu sync.Mutex
	cache := map[string]string{}
	return func(name string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		mu.Lock()
		defer mu.Unlock()
		if v, ok := cache[name]; ok {
			return v
		}
		v, _, err := fileValue(os.LookupEnv, name)
		if err != nil {
			log("cannot read a variable's file", "variable", name+"_FILE", "error", err)
		}
		cache[name] = v
		return v
	}
}
