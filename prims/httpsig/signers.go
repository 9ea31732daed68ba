package httpsig

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Deliveries are signed in a child process (this same executable, started
// with SX_HTTPSIG_SIGNER=1) running at the lowest priority the OS has (nice
// 19 on Linux). Signing costs about 1 ms of RSA per delivery — 10,000
// followers are 10 s of CPU — and at the same priority as the pages the
// process serves it would take turns with them on the cores; at the lowest
// the kernel gives it only the CPU that everything at normal priority
// leaves idle, so a fan-out slows down under load instead of the pages.
//
// A process, not low-priority threads of this one: a Go thread signing
// holds one of the runtime's Ps, and a garbage collection stops the world
// by waiting for every P — when the kernel has descheduled that thread in
// favour of normal-priority work, every goroutine of the process waits for
// it (tried: a GC pause of 335 ms beside 25 ms; docs/benchmarks.md).
// The child's collections stop only the child; a goroutine here waiting for
// its signature holds no P.
//
// At most signerThreads signatures are asked for at once (half the cores,
// at least one): where the OS cannot lower the child's priority, or the
// child cannot be started (the in-process fallback), the pages keep the
// other half.
var (
	signerThreads = max(1, runtime.GOMAXPROCS(0)/2)
	signSlots     = make(chan struct{}, signerThreads)
)

// signerEnv, set to 1, makes this executable the signer process.
const signerEnv = "SX_HTTPSIG_SIGNER"

func init() {
	if os.Getenv(signerEnv) == "1" {
		os.Exit(serveSigner(os.Stdin, os.Stdout))
	}
}

// signCall asks the signer process to Sign a request; signAnswer carries
// the headers Sign set (Host, Date, Digest, Signature) or its error.
type signCall struct {
	ID          uint64
	Method, URL string
	Body        []byte
	PEM, KeyID  string
	Date        int64 // Unix seconds
}

type signAnswer struct {
	ID     uint64
	Header http.Header
	Err    string
}

// serveSigner is the signer process: it answers signCalls from in on out,
// signerThreads at a time, until in ends (its parent closed the pipe or
// died).
func serveSigner(in io.Reader, out io.Writer) int {
	lowerPriority()
	runtime.GOMAXPROCS(signerThreads)
	dec, enc := gob.NewDecoder(bufio.NewReader(in)), gob.NewEncoder(out)
	var mu sync.Mutex
	calls := make(chan signCall)
	var wg sync.WaitGroup
	for range signerThreads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range calls {
				a := signAnswer{ID: c.ID}
				req, err := http.NewRequest(c.Method, c.URL, nil)
				if err == nil {
					err = Sign(req, c.Body, c.PEM, c.KeyID, time.Unix(c.Date, 0))
				}
				if err != nil {
					a.Err = err.Error()
				} else {
					a.Header = req.Header
				}
				mu.Lock()
				err = enc.Encode(a)
				mu.Unlock()
				if err != nil {
					os.Exit(1)
				}
			}
		}()
	}
	for {
		var c signCall
		if err := dec.Decode(&c); err != nil {
			break
		}
		calls <- c
	}
	close(calls)
	wg.Wait()
	return 0
}

// errSigner is the signer process failing (not a signature).
var errSigner = errors.New("the signer process")

// signerProc is the parent's side of a running signer process.
type signerProc struct {
	pid     int
	writeMu sync.Mutex // the encoder; apart from mu, so a full pipe never blocks the reader
	enc     *gob.Encoder
	mu      sync.Mutex
	pending map[uint64]chan signAnswer
	next    uint64
	err     error // set when the process is gone
}

var (
	signerMu     sync.Mutex
	signer       *signerProc
	signerFailed time.Time // the last start that failed: retried a minute later
	// signedApart counts the signatures the signer process made (tests).
	signedApart atomic.Int64
)

// currentSigner returns the running signer process, starting one if there
// is none; nil when none can be started (sign in this process then).
func currentSigner() *signerProc {
	signerMu.Lock()
	defer signerMu.Unlock()
	if signer != nil && signer.gone() == nil {
		return signer
	}
	if time.Since(signerFailed) < time.Minute {
		return nil
	}
	p, err := startSigner()
	if err != nil {
		signerFailed = time.Now()
		return nil
	}
	signer = p
	return p
}

func startSigner() (*signerProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: exe, Args: []string{"sxhost-httpsig-signer"}, Env: append(os.Environ(), signerEnv+"=1"), Stderr: os.Stderr}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &signerProc{pid: cmd.Process.Pid, enc: gob.NewEncoder(in), pending: map[uint64]chan signAnswer{}}
	go func() {
		dec := gob.NewDecoder(bufio.NewReader(out))
		var err error
		for {
			var a signAnswer
			if err = dec.Decode(&a); err != nil {
				break
			}
			p.mu.Lock()
			ch := p.pending[a.ID]
			delete(p.pending, a.ID)
			p.mu.Unlock()
			if ch != nil {
				ch <- a
			}
		}
		in.Close()
		cmd.Wait()
		p.mu.Lock()
		p.err = fmt.Errorf("%w ended: %v", errSigner, err)
		for id, ch := range p.pending {
			ch <- signAnswer{ID: id, Err: p.err.Error()}
		}
		p.pending = nil
		p.mu.Unlock()
	}()
	return p, nil
}

func (p *signerProc) gone() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// sign has the process sign req as Sign would, and sets the headers.
func (p *signerProc) sign(ctx context.Context, req *http.Request, body []byte, pem, keyID string, now time.Time) error {
	ch := make(chan signAnswer, 1)
	p.mu.Lock()
	if p.err != nil {
		p.mu.Unlock()
		return p.err
	}
	p.next++
	id := p.next
	p.pending[id] = ch
	p.mu.Unlock()
	p.writeMu.Lock()
	err := p.enc.Encode(signCall{ID: id, Method: req.Method, URL: req.URL.String(), Body: body, PEM: pem, KeyID: keyID, Date: now.Unix()})
	p.writeMu.Unlock()
	if err != nil {
		return fmt.Errorf("%w: %v", errSigner, err)
	}
	select {
	case a := <-ch:
		if a.Err != "" {
			return errors.New(a.Err)
		}
		for _, h := range []string{"Host", "Date", "Digest", "Signature"} {
			if v, ok := a.Header[h]; ok {
				req.Header[h] = v
			}
		}
		signedApart.Add(1)
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
		return ctx.Err()
	}
}

// signDelivery signs a delivery's request: once one of signSlots is free
// and gate (the host's foreground gate, when set) lets it, in the signer
// process, or in this one when there is none.
func signDelivery(ctx context.Context, gate Gate, req *http.Request, body []byte, pem, keyID string) error {
	select {
	case signSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-signSlots }()
	// The gate is asked by the holder of a slot, so the steps it paces are
	// signatures, not goroutines queued for one.
	if gate != nil {
		if err := gate.Wait(ctx); err != nil {
			return err
		}
	}
	err := errSigner
	if p := currentSigner(); p != nil {
		err = p.sign(ctx, req, body, pem, keyID, time.Now())
	}
	if errors.Is(err, errSigner) { // none, or it died: sign here
		err = Sign(req, body, pem, keyID, time.Now())
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("signing: %w", err)
	}
	return err
}
