// Package sqlprims gives SX code PostgreSQL through pgx: sql/rows, sql/one,
// sql/value and sql/exec. Statements take parameters only ($1, $2 …) and
// run on the connection or transaction bound to the thread, under the
// thread's context, so a request deadline or a Ctrl-C cancels them.
//
// Types map as follows (PostgreSQL → SX):
//
//	null                          nil
//	boolean                       true / false
//	smallint, integer, bigint     int
//	real, double precision        float
//	numeric                       decimal (3.20 keeps its scale); int when
//	                              written without a fraction and in range
//	text, varchar, char, citext   string
//	uuid                          string (canonical form)
//	bytea                         string (the bytes)
//	timestamp, timestamptz, date  datetime (UTC for timestamptz)
//	json, jsonb                   dicts, lists and atoms (integral numbers as ints,
//	                              others as decimals of their digits)
//	arrays                        lists
//	anything else                 its text form
//
// and SX → parameters: nil, booleans, ints, floats, strings and datetimes
// as themselves; decimals as numeric, exactly; keywords as their name; lists
// as arrays (of ints, floats, decimals or strings); dicts as JSON.
package sqlprims

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rose-ash/sxhost/runtime"
)

// badValue marks an error for a parameter value the database refuses as
// such — a number its column cannot hold, text over an index's size limit,
// text it cannot store. Hosts answer it with 400 (BadValueOf): the value is
// the request's fault, not the code's.
type badValue struct{ reason string }

// BadValueOf returns the request-facing reason of an error for a value the
// database refused, or "".
func BadValueOf(err error) string {
	var e *runtime.Error
	if errors.As(err, &e) {
		if bv, ok := e.Value.(badValue); ok {
			return bv.reason
		}
	}
	return ""
}

// failBadValue stops th with a badValue error; the log keeps the detail.
func failBadValue(th *runtime.Thread, name, reason, detail string) {
	e := th.Errorf("%s: bad parameter value: %s", name, detail)
	e.Value = badValue{reason: "bad parameter value: " + reason}
	panic(e)
}

// sqlState marks an error the database answered with its SQLSTATE, so
// hosts can answer by class (a unique violation, a server shutting down)
// without reading messages.
type sqlState string

// SQLStateOf returns the SQLSTATE of a database error raised by a
// primitive, or "".
func SQLStateOf(err error) string {
	var e *runtime.Error
	if errors.As(err, &e) {
		if c, ok := e.Value.(sqlState); ok {
			return string(c)
		}
	}
	return ""
}

// Conn runs statements: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Conn interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Options configure a pool opened with Open.
type Options struct {
	// ReadOnly makes every transaction read-only at the server, so writes
	// fail whatever code runs (default_transaction_read_only).
	ReadOnly bool
	// StatementTimeout cancels statements running longer, at the server.
	StatementTimeout time.Duration
	// MaxConns caps the pool; 0 means DefaultMaxConns.
	MaxConns int32
}

// DefaultMaxConns is the pool size when none is configured. pgx's own
// default, max(4, CPUs), starves a web server: requests wait on I/O (the
// database, other services) far more than they compute, so a handful of
// slow transactions would make every other request queue for a
// connection. 20 serves a process's six services and stays well inside
// PostgreSQL's default max_connections (100) for a few instances.
const DefaultMaxConns = 20

// PoolSize is the pool's maximum size: MaxConns, or DefaultMaxConns.
func (o Options) PoolSize() int32 {
	if o.MaxConns > 0 {
		return o.MaxConns
	}
	return DefaultMaxConns
}

// ParsePoolMax reads DATABASE_POOL_MAX: empty means the default (0); else a
// whole number from 1 to 1000.
func ParsePoolMax(s string) (int32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, fmt.Errorf("DATABASE_POOL_MAX: %q is not a pool size (a whole number from 1 to 1000)", s)
	}
	return int32(n), nil
}

// Open connects a pool to url with opts applied to every connection.
func Open(ctx context.Context, url string, opts Options) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	params := cfg.ConnConfig.RuntimeParams
	if opts.ReadOnly {
		params["default_transaction_read_only"] = "on"
	}
	if opts.StatementTimeout > 0 {
		params["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	cfg.MaxConns = opts.PoolSize()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

const connKey = "sqlprims.conn"

// Bind makes th run its statements on c.
func Bind(th *runtime.Thread, c Conn) {
	if th.Local == nil {
		th.Local = map[string]any{}
	}
	th.Local[connKey] = c
}

// Bound returns the connection bound to th, if any.
func Bound(th *runtime.Thread) Conn {
	c, _ := th.Local[connKey].(Conn)
	return c
}

// Primitives returns the SQL primitives.
func Primitives() []*runtime.Primitive {
	return []*runtime.Primitive{
		{Name: "sql/rows", Params: "(query &rest params)", Doc: "Runs query and returns every row as a dict (columns in order).", MinArgs: 1, MaxArgs: -1, IO: true, Fn: sqlRows},
		{Name: "sql/one", Params: "(query &rest params)", Doc: "Runs query and returns the first row as a dict, or nil when there is none.", MinArgs: 1, MaxArgs: -1, IO: true, Fn: sqlOne},
		{Name: "sql/value", Params: "(query &rest params)", Doc: "Runs query and returns the first column of the first row, or nil.", MinArgs: 1, MaxArgs: -1, IO: true, Fn: sqlValue},
		{Name: "sql/exec", Params: "(statement &rest params)", Doc: "Runs a statement and returns the number of rows it affected.", MinArgs: 1, MaxArgs: -1, IO: true, Fn: sqlExec},
	}
}

func prepare(th *runtime.Thread, name string, args []runtime.Value) (Conn, string, []any) {
	c := Bound(th)
	if c == nil {
		th.Fail("%s: no database (sxhost reads DATABASE_URL; sx repl takes --db URL, else SX_REPL_DATABASE_URL, else DATABASE_URL)", name)
	}
	q, ok := args[0].(string)
	if !ok {
		th.Fail("%s expects a string query, got %s", name, runtime.TypeOf(args[0]))
	}
	params := make([]any, len(args)-1)
	for i, a := range args[1:] {
		params[i] = toParam(th, name, i+1, a)
	}
	return c, q, params
}

func toParam(th *runtime.Thread, name string, n int, v runtime.Value) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, time.Time:
		return x
	case *runtime.Decimal:
		return numericParam(x)
	case runtime.Keyword:
		return x.Name
	case runtime.HTML:
		return string(x)
	case *runtime.List:
		return listParam(th, name, n, x)
	case *runtime.Dict:
		b, err := json.Marshal(toJSON(x))
		if err != nil {
			th.Fail("%s: parameter $%d: %v", name, n, err)
		}
		return string(b)
	}
	th.Fail("%s: parameter $%d: cannot pass a %s to SQL", name, n, runtime.TypeOf(v))
	return nil
}

// listParam turns a list into a typed Go slice so that pgx encodes an array.
func listParam(th *runtime.Thread, name string, n int, l *runtime.List) any {
	ints, floats, strs := []int64{}, []float64{}, []string{}
	// Decimals make a numeric array, exactly; ints join them exactly too.
	numerics := []pgtype.Numeric{}
	for _, it := range l.Items {
		switch x := it.(type) {
		case int64:
			ints = append(ints, x)
			floats = append(floats, float64(x))
			numerics = append(numerics, pgtype.Numeric{Int: big.NewInt(x), Valid: true})
		case float64:
			floats = append(floats, x)
		case *runtime.Decimal:
			numerics = append(numerics, numericParam(x))
		case string:
			strs = append(strs, x)
		default:
			th.Fail("%s: parameter $%d: arrays hold ints, floats, decimals or strings, got %s", name, n, runtime.TypeOf(it))
		}
	}
	switch {
	case len(ints) == len(l.Items):
		return ints
	case len(numerics) == len(l.Items):
		return numerics
	case len(floats) == len(l.Items):
		return floats
	case len(strs) == len(l.Items):
		return strs
	}
	th.Fail("%s: parameter $%d: an array must hold one kind of value", name, n)
	return nil
}

func toJSON(v runtime.Value) any {
	switch x := v.(type) {
	case *runtime.Dict:
		m := make(map[string]any, x.Len())
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			m[k] = toJSON(val)
		}
		return m
	case *runtime.List:
		out := make([]any, len(x.Items))
		for i, it := range x.Items {
			out[i] = toJSON(it)
		}
		return out
	case runtime.Keyword:
		return x.Name
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case *runtime.Decimal:
		return json.Number(x.String()) // its digits, as to_json writes numeric
	}
	return v
}

// Fail stops th with a database error the way the sql/* primitives do
// (SQLSTATE kept for SQLStateOf, refused values marked for BadValueOf),
// for host primitives that talk to the database themselves.
func Fail(th *runtime.Thread, name string, err error) { fail(th, name, err) }

// fail turns a database error into an SX error with a clear message.
func fail(th *runtime.Thread, name string, err error) {
	var pg *pgconn.PgError
	switch {
	case errors.As(err, &pg) && valueRefused(pg) != "":
		failBadValue(th, name, valueRefused(pg), fmt.Sprintf("%s (SQLSTATE %s)", pg.Message, pg.Code))
	case errors.As(err, &pg):
		e := th.Errorf("%s: %s (SQLSTATE %s)", name, pg.Message, pg.Code)
		e.Value = sqlState(pg.Code)
		panic(e)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		th.Fail("%s: cancelled: %v", name, err)
	case strings.HasPrefix(err.Error(), "failed to encode args["):
		// A value the column's type cannot hold (an id beyond int4): the
		// request's fault, which hosts answer with 400.
		msg := err.Error()
		failBadValue(th, name, msg[strings.LastIndex(msg, ": ")+2:], msg)
	}
	th.Fail("%s: %v", name, err)
}

// valueRefused says why PostgreSQL refused a value rather than the
// statement — an unstorable character (22021, 22P05), a value too long for
// an index (54000 "index row size … exceeds"), a number beyond a numeric
// column's precision (22003 "numeric field overflow") — or returns "". The reasons
// name no table or index.
func valueRefused(pg *pgconn.PgError) string {
	switch pg.Code {
	case "22021", "22P05":
		return "text the database cannot store"
	case "54000":
		if strings.Contains(pg.Message, "index row") {
			return "a text value is too long"
		}
	case "22003":
		// A decimal beyond its column's precision, e.g. 123456789012.34
		// for numeric(12,2); overflows of arithmetic keep their 500.
		if strings.Contains(pg.Message, "numeric field overflow") {
			return "a number too large for its column"
		}
	}
	return ""
}

// query runs q and calls each for every row until it returns false.
func query(th *runtime.Thread, name string, args []runtime.Value, each func(cols []string, vals []runtime.Value) bool) {
	c, q, params := prepare(th, name, args)
	router, routed := c.(*Router)
	if routed {
		c = router.route(th, false)
		if c == router.Replica {
			// A read the replica refuses (a query that writes) or cannot
			// answer runs again on the primary, unless rows were seen.
			seen, err := queryOn(th, name, c, q, params, each)
			if err == nil || seen || !retryOnPrimary(err) {
				if err != nil {
					fail(th, name, err)
				}
				return
			}
			MarkPrimary(th)
			c = router.Primary
		}
	}
	if _, err := queryOn(th, name, c, q, params, each); err != nil {
		fail(th, name, err)
	}
}

// queryOn runs q on c; seen tells whether any row reached each.
func queryOn(th *runtime.Thread, name string, c Conn, q string, params []any, each func(cols []string, vals []runtime.Value) bool) (seen bool, err error) {
	rows, err := c.Query(th.Ctx, q, params...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var dec rowDecoder
	dec.init(th, name, rows)
	cols := make([]string, len(dec.fds))
	for i, fd := range dec.fds {
		cols[i] = fd.Name
	}
	for rows.Next() {
		vals := dec.row()
		th.Charge(1)
		seen = true
		if !each(cols, vals) {
			break
		}
	}
	rows.Close()
	if rows.Err() == nil {
		noteTag(rows.CommandTag())
	}
	return seen, rows.Err()
}

// Each runs a sql/one or sql/rows call (name, then the primitive's
// arguments: the statement and its parameters) exactly as the primitive
// does — the bound connection, replica routing, decoding, errors — and
// calls each with every row until it returns false, for hosts that write
// the rows out without making SX values of them.
func Each(th *runtime.Thread, name string, args []runtime.Value, each func(cols []string, vals []runtime.Value) bool) {
	query(th, name, args, each)
}

// IsRowsPrimitive reports whether p is this package's sql/one (one) or
// sql/rows, whose answers Each reproduces.
func IsRowsPrimitive(p *runtime.Primitive, one bool) bool {
	want := sqlRows
	if one {
		want = sqlOne
	}
	return p != nil && p.Fn != nil && reflect.ValueOf(p.Fn).Pointer() == reflect.ValueOf(want).Pointer()
}

func sqlRows(th *runtime.Thread, args []runtime.Value) runtime.Value {
	var keys []string
	var rows [][]runtime.Value
	query(th, "sql/rows", args, func(cols []string, vals []runtime.Value) bool {
		if rows == nil {
			keys, rows = cols, make([][]runtime.Value, 0, 16)
		}
		rows = append(rows, vals)
		return true
	})
	if rows == nil {
		return runtime.NewList([]runtime.Value{}...)
	}
	// The rows share their column names; their dicts are made at once.
	return runtime.NewList(runtime.NewDictsOf(keys, rows)...)
}

func sqlOne(th *runtime.Thread, args []runtime.Value) runtime.Value {
	var row runtime.Value
	query(th, "sql/one", args, func(cols []string, vals []runtime.Value) bool {
		row = runtime.NewDictOf(cols, vals)
		return false
	})
	return row
}

func sqlValue(th *runtime.Thread, args []runtime.Value) runtime.Value {
	var v runtime.Value
	query(th, "sql/value", args, func(cols []string, vals []runtime.Value) bool {
		if len(vals) > 0 {
			v = vals[0]
		}
		return false
	})
	return v
}

func sqlExec(th *runtime.Thread, args []runtime.Value) runtime.Value {
	c, q, params := prepare(th, "sql/exec", args)
	if r, ok := c.(*Router); ok {
		c = r.route(th, true)
	}
	tag, err := c.Exec(th.Ctx, q, params...)
	if err != nil {
		fail(th, "sql/exec", err)
	}
	noteTag(tag)
	return tag.RowsAffected()
}

// fromColumn converts a column's value decoded by pgx, going back to its
// bytes where pgx's decoding loses what SX keeps: the scale of a numeric
// (pgx reads 0.00 as 0) and the digits of numbers inside json and jsonb (pgx
// reads them as float64).
func fromColumn(fd pgconn.FieldDescription, raw []byte, v any) runtime.Value {
	switch fd.DataTypeOID {
	case pgtype.NumericOID:
		// Binary numeric: ndigits, weight, sign, dscale (uint16 each), …
		if n, ok := v.(pgtype.Numeric); ok && fd.Format == pgtype.BinaryFormatCode && len(raw) >= 8 {
			return withScale(numeric(n), int32(raw[6])<<8|int32(raw[7]))
		}
	case pgtype.JSONOID, pgtype.JSONBOID:
		if raw == nil {
			return nil
		}
		if fd.DataTypeOID == pgtype.JSONBOID && fd.Format == pgtype.BinaryFormatCode && len(raw) > 0 {
			raw = raw[1:] // the jsonb version byte
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err == nil {
			return FromPG(x)
		}
	}
	return FromPG(v)
}

// withScale pads a numeric's value to the scale its column declares, so
// that 0.00 and 5.00 stay decimals with two digits after the point.
func withScale(v runtime.Value, scale int32) runtime.Value {
	if scale == 0 {
		return v
	}
	d, ok := runtime.AsDecimal(v)
	if !ok || d.Scale() >= scale {
		return v
	}
	if r, err := runtime.DecimalRound(d, scale, "down"); err == nil {
		return r
	}
	return v
}

// FromPG converts a value decoded by pgx into an SX value (see the package
// documentation for the mapping).
func FromPG(v any) runtime.Value {
	switch x := v.(type) {
	case nil:
		return nil
	case bool, int64, float64, string:
		return x
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC()
	case []byte:
		return string(x)
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case pgtype.Numeric:
		return numeric(x)
	case map[string]any:
		d := runtime.NewDict(len(x))
		// Map order is not the document's; sort for stable output.
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			d.Set(k, FromPG(x[k]))
		}
		return d
	case []any:
		out := make([]runtime.Value, len(x))
		for i, it := range x {
			out[i] = FromPG(it)
		}
		return runtime.NewList(out...)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if d, err := runtime.ParseDecimal(string(x)); err == nil {
			return d
		}
		f, _ := x.Float64()
		return f
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v)
}

// numeric converts a PostgreSQL numeric exactly: with digits after the
// point (numeric(12,2) is always so) a decimal keeping its scale, without
// an int when it fits, else a decimal. NaN is nil; the infinities of
// PostgreSQL 14 are floats.
func numeric(n pgtype.Numeric) runtime.Value {
	if !n.Valid || n.NaN {
		return nil
	}
	if n.InfinityModifier != pgtype.Finite {
		return math.Inf(int(n.InfinityModifier))
	}
	coef := n.Int
	if coef == nil {
		coef = new(big.Int)
	}
	if n.Exp >= 0 {
		i := new(big.Int).Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.Exp)), nil))
		if i.IsInt64() {
			return i.Int64()
		}
	}
	d, err := runtime.NewDecimal(coef, -n.Exp)
	if err != nil {
		// Beyond the decimals' bounds (1000 digits): the nearest float.
		f, _ := n.Float64Value()
		return f.Float64
	}
	return d
}

// numericParam passes a decimal to PostgreSQL as numeric, digit for digit.
func numericParam(d *runtime.Decimal) pgtype.Numeric {
	return pgtype.Numeric{Int: d.Coefficient(), Exp: -d.Scale(), Valid: true}
}
