package host

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

// The query-result cache: a (defquery name :cache N …) keeps each result,
// per arguments, for up to N seconds in the process, and drops every result
// as soon as this process changes the database — any statement that is not
// a SELECT, any committed action, activity, job or sql/transaction
// (sqlprims.Writes). So a page shows an edit made through this process on
// the very next request, and a page between two edits runs no statement
// for its cached queries. Writes made by another process (another instance,
// psql) show within N seconds: choose N for that. A query running inside a
// transaction (an action's) bypasses the cache: it must see the
// transaction's own writes, and its reads must not be kept.
//
// A cached result is shared by every caller: code must not change it in
// place (dict-set!, append!), as it must not change any query's result
// another part of the page uses.

// queryCacheMax bounds the entries; when full, the cache starts afresh
// (results are cheap to read again, and a bound keeps memory flat when a
// query is cached over unbounded arguments such as search text).
const queryCacheMax = 20000

// cacheLookups counts query and fragment cache lookups, process-wide, so
// /metrics shows whether the caches work (hits) and what they cost (misses).
var cacheLookups = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "sxhost_cache_lookups_total",
	Help: "Query-result and fragment cache lookups, by kind (query, fragment) and result (hit, miss).",
}, []string{"kind", "result"})

var (
	queryHits    = cacheLookups.WithLabelValues("query", "hit")
	queryMisses  = cacheLookups.WithLabelValues("query", "miss")
	fragmentHits = cacheLookups.WithLabelValues("fragment", "hit")
	fragmentMiss = cacheLookups.WithLabelValues("fragment", "miss")
)

type queryCache struct {
	mu sync.Mutex
	m  map[string]cachedResult
}

type cachedResult struct {
	v      runtime.Value
	writes uint64 // sqlprims.Writes() when the read began
	until  time.Time
}

func (c *queryCache) get(key string, writes uint64, now time.Time) (runtime.Value, bool) {
	c.mu.Lock()
	r, ok := c.m[key]
	c.mu.Unlock()
	if !ok || r.writes != writes || now.After(r.until) {
		return nil, false
	}
	return r.v, true
}

func (c *queryCache) put(key string, r cachedResult) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= queryCacheMax {
		c.m = make(map[string]cachedResult)
	}
	c.m[key] = r
	c.mu.Unlock()
}

// queryCacheTTL is a definition's :cache option, checked: only queries may
// have one, and it is a whole number of seconds from 1.
func queryCacheTTL(d *runtime.Definition) (time.Duration, error) {
	v, ok := d.Option("cache")
	if !ok {
		return 0, nil
	}
	if d.Kind != "query" {
		return 0, fmt.Errorf("%s: def%s %s: only a defquery can have :cache (its results are kept; anything else would skip its effects)", d.Pos, d.Kind, d.Name)
	}
	n, ok := v.(int64)
	if !ok || n < 1 {
		return 0, fmt.Errorf("%s: defquery %s: :cache must be a whole number of seconds from 1, got %s", d.Pos, d.Name, runtime.Print(v))
	}
	return time.Duration(n) * time.Second, nil
}

// cacheQueries makes the queries of env declared with :cache keep their
// results when called by name in the service (the calls of other services
// go through invoke, which does the same).
func (s *Service) cacheQueries(env *runtime.Env) error {
	for _, d := range env.Definitions("") {
		ttl, err := queryCacheTTL(d)
		if err != nil || ttl == 0 {
			if err != nil {
				return err
			}
			continue
		}
		name := d.Name
		d.Wrap = func(th *runtime.Thread, args []runtime.Value, call func() runtime.Value) runtime.Value {
			v, _ := s.plat.cachedQuery(th, s.Name, name, ttl, ' ', args, func() (runtime.Value, error) { return call(), nil })
			return v
		}
	}
	return nil
}

// cachedQuery answers a cached query's call from the cache, or runs it and
// keeps its result (errors and aborts are not kept).
func (p *Platform) cachedQuery(th *runtime.Thread, service, name string, ttl time.Duration, how byte, args []runtime.Value, call func() (runtime.Value, error)) (runtime.Value, error) {
	if _, inTx := sqlprims.Bound(th).(pgx.Tx); inTx {
		return call()
	}
	key := queryKey(service, name, how, args)
	writes := sqlprims.Writes()
	now := time.Now()
	if v, ok := p.queries.get(key, writes, now); ok {
		queryHits.Inc()
		return v, nil
	}
	queryMisses.Inc()
	v, err := call()
	if err == nil {
		p.queries.put(key, cachedResult{v: v, writes: writes, until: now.Add(ttl)})
	}
	return v, err
}

// queryKey names a call: the service, the query, how the arguments come
// (' ' as written by a call by name, keywords and all; '=' bound to the
// parameters in order, from invoke) and the arguments (printed values keep
// their types apart: 1 and "1" differ).
func queryKey(service, name string, how byte, args []runtime.Value) string {
	var b strings.Builder
	b.WriteString(service)
	b.WriteByte('/')
	b.WriteString(name)
	for _, a := range args {
		b.WriteByte(how)
		if k, ok := a.(runtime.KeywordArg); ok {
			b.WriteByte(':')
			b.WriteString(k.Name)
			continue
		}
		b.WriteString(runtime.Print(a))
	}
	return b.String()
}
