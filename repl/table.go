package repl

// :sql — a statement on the session's database, its rows as a table.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-runewidth"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

const maxCellWidth = 60

func (s *Session) cmdSQL(stmt string) {
	conn := sqlprims.Bound(s.th)
	if conn == nil {
		s.report(errors.New(":sql: no database (start the REPL with --db URL, or set SX_REPL_DATABASE_URL or DATABASE_URL)"))
		return
	}
	var cols []string
	var rows [][]runtime.Value
	var tag pgconn.CommandTag
	start := time.Now()
	err := s.withCancel(func(ctx context.Context) error {
		return s.inSavepoint(ctx, func() error {
			return s.querySQL(ctx, sqlprims.Bound(s.th), stmt, &cols, &rows, &tag)
		})
	})
	if err != nil {
		s.report(fmt.Errorf(":sql: %s", pgMessage(err)))
		return
	}
	s.out.freshLine()
	if len(cols) > 0 {
		fmt.Fprint(s.out, formatTable(cols, rows))
		s.info("%s, %s", plural(len(rows), "row"), elapsed(time.Since(start)))
	} else {
		s.info("%s, %s", tag.String(), elapsed(time.Since(start)))
	}
}

// querySQL runs stmt on conn and collects its columns, rows and tag.
func (s *Session) querySQL(ctx context.Context, conn sqlprims.Conn, stmt string, cols *[]string, rows *[][]runtime.Value, tag *pgconn.CommandTag) error {
	rs, err := conn.Query(ctx, stmt)
	if err != nil {
		return err
	}
	defer rs.Close()
	for _, fd := range rs.FieldDescriptions() {
		*cols = append(*cols, fd.Name)
	}
	for rs.Next() {
		raw, err := rs.Values()
		if err != nil {
			return err
		}
		row := make([]runtime.Value, len(raw))
		for i, r := range raw {
			row[i] = sqlprims.FromPG(r)
		}
		*rows = append(*rows, row)
	}
	rs.Close()
	*tag = rs.CommandTag()
	return rs.Err()
}

// withCancel runs f under a context that Ctrl-C cancels.
func (s *Session) withCancel(f func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.mu.Lock()
	s.cancel, s.interrupts = cancel, 0
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cancel = nil
		s.mu.Unlock()
	}()
	return f(ctx)
}

// pgMessage words a database error as psql would: the server's message, its
// detail and hint, and the SQLSTATE.
func pgMessage(err error) string {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		if errors.Is(err, context.Canceled) {
			return "cancelled"
		}
		return err.Error()
	}
	msg := pg.Message + " (SQLSTATE " + pg.Code + ")"
	if pg.Detail != "" {
		msg += "\nDETAIL: " + pg.Detail
	}
	if pg.Hint != "" {
		msg += "\nHINT: " + pg.Hint
	}
	return msg
}

// formatTable lays rows out under their column names, numbers to the right.
func formatTable(cols []string, rows [][]runtime.Value) string {
	cells := make([][]string, len(rows))
	right := make([]bool, len(cols))
	for j := range right {
		right[j] = len(rows) > 0
	}
	widths := make([]int, len(cols))
	for j, c := range cols {
		widths[j] = runewidth.StringWidth(c)
	}
	for i, r := range rows {
		cells[i] = make([]string, len(cols))
		for j := range cols {
			var v runtime.Value
			if j < len(r) {
				v = r[j]
			}
			switch v.(type) {
			case int64, float64, *runtime.Decimal, nil:
			default:
				right[j] = false
			}
			c := cellText(v)
			cells[i][j] = c
			widths[j] = max(widths[j], runewidth.StringWidth(c))
		}
	}
	var b strings.Builder
	line := func(vals []string, header bool) {
		var l strings.Builder
		for j, v := range vals {
			if j > 0 {
				l.WriteString(" | ")
			} else {
				l.WriteString(" ")
			}
			pad := strings.Repeat(" ", widths[j]-runewidth.StringWidth(v))
			switch {
			case header:
				left := (widths[j] - runewidth.StringWidth(v)) / 2
				l.WriteString(strings.Repeat(" ", left) + v + pad[left:])
			case right[j]:
				l.WriteString(pad + v)
			default:
				l.WriteString(v + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	line(cols, true)
	for j := range cols {
		if j > 0 {
			b.WriteString("+")
		}
		b.WriteString(strings.Repeat("-", widths[j]+2))
	}
	b.WriteString("\n")
	for _, r := range cells {
		line(r, false)
	}
	return b.String()
}

// cellText is a value as a table shows it: strings bare, nil empty, the
// rest printed; one line, cut at maxCellWidth.
func cellText(v runtime.Value) string {
	var s string
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(x)
	case time.Time:
		s = x.Format(time.RFC3339Nano)
	case *runtime.Decimal:
		s = x.String() // its digits, as psql shows numeric
	default:
		s = runtime.Print(v)
	}
	if runewidth.StringWidth(s) > maxCellWidth {
		s = runewidth.Truncate(s, maxCellWidth, "…")
	}
	return s
}
