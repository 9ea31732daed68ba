package cacheprims

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// BatchWait is how long a read waits in a ReadBatch for the members still
// running before it is sent without them: the bound on what one member's
// other work (a fragment rendered on a miss, a database query, a remote
// provider) can hold the others' reads back.
const BatchWait = time.Millisecond

// ReadBatch gathers the Redis reads of several concurrent callers, its
// members (the thunks of one gather), into one MGET: a read waits until
// every member still running has asked for a read of its own or finished,
// then one round trip answers them all. A page's header asks for four or
// five cached values at once (fragments, settings, the visitor's like
// state); one round trip instead of one each is fewer system calls and
// wake-ups for the same answers.
//
// The members' keys are not known in advance (each thunk computes its own,
// and may read again with what it read), so the batch learns them as they
// come: a member's contexts from Members carry it, and Redis.Get called
// with one joins the batch instead of sending a GET. A read never waits
// longer than the batch's wait for members busy elsewhere; a member that
// waits for another (a single-flight fill, a nested gather) is only
// delayed by that much, never stuck. Only Redis reads join: the Memory
// cache makes no round trip, and writes go out at once.
//
// Answers are what GET would have given: the value, a miss, or the
// round trip's error for every read in it (Resilient turns that into a
// miss, as it does a GET's).
type ReadBatch struct {
	ctx     context.Context
	wait    time.Duration
	members []batchMember

	mu      sync.Mutex
	running int // members neither finished nor waiting for a read
	pending []*batchRead
	timer   *time.Timer
	round   int // taken rounds: a timer armed in an earlier one is stale
}

type batchMember struct {
	b       *ReadBatch
	waiting int // reads asked for and not yet sent
	done    bool
}

type batchRead struct {
	m     *batchMember
	r     *Redis
	key   string
	sent  bool
	ready chan struct{} // closed once val, ok and err are set
	val   []byte
	ok    bool
	err   error
}

type batchKey struct{}

// NewReadBatch returns a batch of n members whose reads go out on ctx, each
// waiting at most wait (BatchWait when 0) for the others, and each member's
// context: ctx carrying the member. Call Done(i) when member i finishes and
// Stop once all have.
func NewReadBatch(ctx context.Context, n int, wait time.Duration) (*ReadBatch, []context.Context) {
	if wait <= 0 {
		wait = BatchWait
	}
	b := &ReadBatch{ctx: ctx, wait: wait, members: make([]batchMember, n), running: n}
	ctxs := make([]context.Context, n)
	for i := range b.members {
		b.members[i].b = b
		ctxs[i] = context.WithValue(ctx, batchKey{}, &b.members[i])
	}
	return b, ctxs
}

// Done reports that member i has finished: reads no longer wait for it.
// Its context reads on its own afterwards.
func (b *ReadBatch) Done(i int) {
	b.mu.Lock()
	m := &b.members[i]
	if m.done {
		b.mu.Unlock()
		return
	}
	m.done = true
	if m.waiting == 0 {
		b.running--
	}
	b.sendIfAllWait()
}

// Stop releases the batch's timer.
func (b *ReadBatch) Stop() {
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.mu.Unlock()
}

// get answers a read of key on r for member m through the batch: the read,
// its answer set, or nil when m has finished and the caller should read on
// its own.
func (m *batchMember) get(ctx context.Context, r *Redis, key string) *batchRead {
	b := m.b
	rd := &batchRead{m: m, r: r, key: key, ready: make(chan struct{})}
	b.mu.Lock()
	if m.done {
		b.mu.Unlock()
		return nil
	}
	b.pending = append(b.pending, rd)
	if m.waiting++; m.waiting == 1 {
		b.running--
	}
	if b.running > 0 && b.timer == nil {
		round := b.round
		b.timer = time.AfterFunc(b.wait, func() {
			b.mu.Lock()
			if b.round != round {
				b.mu.Unlock()
				return
			}
			b.timer = nil // fired: take must not count on stopping it
			b.send()
		})
	}
	b.sendIfAllWait()
	select {
	case <-rd.ready:
		return rd
	case <-ctx.Done():
		b.mu.Lock()
		if !rd.sent {
			for i, p := range b.pending {
				if p == rd {
					b.pending = append(b.pending[:i], b.pending[i+1:]...)
					break
				}
			}
			if m.waiting--; m.waiting == 0 && !m.done {
				b.running++
			}
		}
		b.mu.Unlock()
		// A sent read is answered on the batch's context: not waited for.
		return &batchRead{err: ctx.Err()}
	}
}

// sendIfAllWait sends the pending reads when no member is still running,
// and unlocks b.mu in any case.
func (b *ReadBatch) sendIfAllWait() {
	if b.running > 0 || len(b.pending) == 0 {
		b.mu.Unlock()
		return
	}
	b.send()
}

// send takes the pending reads (b.mu held; it unlocks it) and answers them,
// one round trip per Redis server among them.
func (b *ReadBatch) send() {
	reads := b.pending
	b.pending = nil
	b.round++
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	for _, rd := range reads {
		rd.sent = true
		// Answered members run again from now on: counting them only when
		// they wake would let a read sent meanwhile leave without them.
		if rd.m.waiting--; rd.m.waiting == 0 && !rd.m.done {
			b.running++
		}
	}
	b.mu.Unlock()
	for len(reads) > 0 {
		r := reads[0].r
		var same, rest []*batchRead
		for _, rd := range reads {
			if rd.r == r {
				same = append(same, rd)
			} else {
				rest = append(rest, rd)
			}
		}
		r.getMany(b.ctx, same)
		for _, rd := range same {
			close(rd.ready)
		}
		reads = rest
	}
}

// getMany answers reads with one GET or MGET.
func (r *Redis) getMany(ctx context.Context, reads []*batchRead) {
	if len(reads) == 1 {
		rd := reads[0]
		rd.val, rd.ok, rd.err = r.get(ctx, rd.key)
		return
	}
	keys := make([]string, len(reads))
	for i, rd := range reads {
		keys[i] = rd.key
	}
	vals, err := r.client.MGet(ctx, keys...).Result()
	if err == nil && len(vals) != len(keys) {
		err = fmt.Errorf("cache: MGET of %d keys answered %d values", len(keys), len(vals))
	}
	for i, rd := range reads {
		if err != nil {
			rd.err = err
			continue
		}
		switch v := vals[i].(type) {
		case nil: // a miss
		case string:
			rd.val, rd.ok = []byte(v), true
		default:
			rd.err = fmt.Errorf("cache: MGET answered a %T for %q", v, rd.key)
		}
	}
}

// batchOf returns the member of a batch ctx carries, if any.
func batchOf(ctx context.Context) *batchMember {
	m, _ := ctx.Value(batchKey{}).(*batchMember)
	return m
}
