package host

import (
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/rose-ash/sxhost/runtime"
)

// Abort is the payload of (abort status message) and (redirect url): an
// evaluation stops and the host answers with this status.
type Abort struct {
	Status   int
	Message  string
	Location string
}

// abortOf returns the Abort carried by an evaluation error, if any.
func abortOf(err error) *Abort {
	var e *runtime.Error
	if errors.As(err, &e) {
		if a, ok := e.Value.(*Abort); ok {
			return a
		}
	}
	return nil
}

// paramErrorOf returns a bad-parameter error raised inside evaluation (an
// in-process call with bad arguments).
func paramErrorOf(err error) *paramError {
	var pe *paramError
	if errors.As(err, &pe) {
		return pe
	}
	// A callee's bad parameter, carried through the caller's evaluation.
	var e *runtime.Error
	if errors.As(err, &e) {
		if pe, ok := e.Value.(*paramError); ok {
			return pe
		}
	}
	return nil
}

// newErrorID returns a short random id that links a 500 response to its log
// line.
func newErrorID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
