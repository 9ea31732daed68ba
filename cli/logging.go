package cli

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
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

// logFlushEvery bounds how long a log line waits in a lineBuffer, and
// logBufferSize how many bytes it holds before it writes at once.
const (
	logFlushEvery = 50 * time.Millisecond
	logBufferSize = 64 << 10
)

// lineBuffer batches a production log's lines: at info level every request
// logs a line, and a write system call per line is a measurable part of a
// small request's cost (docs/benchmarks.md, "The query path, round seven").
// Every line is kept and whole (slog writes a record with one Write):
// lines reach w at most logFlushEvery later, at once when the buffer
// fills, and on Close; after Close they are written through.
type lineBuffer struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte
	timer   *time.Timer
	pending bool // the timer is set to flush
	closed  bool
}

func newLineBuffer(w io.Writer) *lineBuffer {
	b := &lineBuffer{w: w}
	b.timer = time.AfterFunc(time.Hour, func() { b.Flush() })
	b.timer.Stop()
	return b
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logBufferSize {
		return len(p), b.flushLocked()
	}
	if !b.pending {
		b.pending = true
		b.timer.Reset(logFlushEvery)
	}
	return len(p), nil
}

// Flush writes what is buffered.
func (b *lineBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

// Close writes what is buffered and writes later lines through.
func (b *lineBuffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer.Stop()
	b.closed = true
	return b.flushLocked()
}

func (b *lineBuffer) flushLocked() error {
	b.pending = false
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}
