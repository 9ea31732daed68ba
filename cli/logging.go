package cli

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// newLogger is the platform's logger, configured by the environment:
// SX_LOG_FORMAT=text|json (default: text in development, where a person
// reads it, JSON otherwise, where a collector does) and
// SX_LOG_LEVEL=debug|info|warn|error (default info).
func newLogger(w io.Writer, dev bool, getenv func(string) string) (*slog.Logger, error) {
	var level slog.Level
	if v := getenv("SX_LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return nil, fmt.Errorf("SX_LOG_LEVEL=%s: want debug, info, warn or error", v)
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	format := strings.ToLower(getenv("SX_LOG_FORMAT"))
	if format == "" {
		format = "json"
		if dev {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("SX_LOG_FORMAT=%s: want text or json", format)
}
