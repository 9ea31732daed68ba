// Package sxtest holds what several test packages do with SX programs, so
// the Go renderer they compare against is driven one way everywhere.
package sxtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rose-ash/sxhost/runtime"
	"github.com/rose-ash/sxhost/stdlib"
)

// RenderLast evaluates every form of the program but the last in a fresh
// standard environment, then renders the last form to HTML — what the
// golden cases and the browser runtime's parity tests mean by "render".
// Errors name the step (evaluating a form, or rendering) and carry the
// runtime's position and backtrace when there is one.
func RenderLast(name, src string) (string, error) {
	forms, err := runtime.Read(name, src)
	if err != nil {
		return "", err
	}
	if len(forms) == 0 {
		return "", errors.New("no forms")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	th := stdlib.NewEnv().NewThread(ctx)
	th.Out = &strings.Builder{}
	for _, f := range forms[:len(forms)-1] {
		if _, err := th.Eval(f); err != nil {
			return "", fmt.Errorf("evaluating %s: %s", clip(runtime.Print(f)), describe(err))
		}
	}
	html, err := th.RenderHTML(forms[len(forms)-1])
	if err != nil {
		return "", fmt.Errorf("rendering: %s", describe(err))
	}
	return html, nil
}

func describe(err error) string {
	var e *runtime.Error
	if errors.As(err, &e) {
		return e.Format()
	}
	return err.Error()
}

func clip(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%q…(%d bytes)", s[:40], len(s))
	}
	return fmt.Sprintf("%q", s)
}
