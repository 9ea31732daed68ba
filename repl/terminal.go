package repl

// The interactive loop on a terminal (peterh/liner), and the loop for
// input that is not a terminal.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/peterh/liner"
	"golang.org/x/term"
)

// runTerminal loads files, then reads entries with line editing until
// :quit or Ctrl-D.
func (s *Session) runTerminal(histFile string, files []string) int {
	ln := liner.NewLiner()
	closed := false
	closeLiner := func() {
		if !closed {
			closed = true
			ln.Close()
		}
	}
	defer closeLiner()
	s.onForce = closeLiner
	ln.SetCtrlCAborts(true)
	ln.SetTabCompletionStyle(liner.TabPrints)
	ln.SetWordCompleter(s.Complete)
	ln.SetMultiLineMode(true)

	lastHist := "" // the newest entry, not repeated
	if histFile != "" {
		entries, err := loadHistory(histFile)
		if err != nil {
			s.hint("history: " + err.Error())
		}
		for _, e := range entries {
			ln.AppendHistory(e)
			lastHist = e
		}
	}

	// Ctrl-C at the prompt reaches liner as a key; while an evaluation
	// runs it is a signal, which cancels the evaluation.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	go func() {
		for range sigs {
			s.Interrupt()
		}
	}()

	for _, f := range files {
		s.cmdLoad(f) // an error is shown; the prompt comes all the same
	}
	var entry []string
	for !s.quit {
		s.out.freshLine()
		p := s.prompt()
		if s.Pending() {
			p = s.contPrompt()
		}
		line, err := ln.Prompt(p)
		switch {
		case errors.Is(err, liner.ErrPromptAborted):
			// Ctrl-C: drop the line and any unfinished entry.
			s.Discard()
			entry = nil
			continue
		case errors.Is(err, io.EOF):
			if s.Pending() {
				fmt.Fprintln(s.out)
				s.info("unfinished entry dropped")
				s.Discard()
				entry = nil
				continue
			}
			fmt.Fprintln(s.out)
			s.quit = true
			continue
		case err != nil:
			s.report(fmt.Errorf("sx repl: %w", err))
			return 1
		}
		entry = append(entry, line)
		if s.Input(line) {
			continue
		}
		if hs := historyEntries(entry); len(hs) > 0 && strings.Join(hs, "\n") != lastHist {
			for _, h := range hs {
				ln.AppendHistory(h)
			}
			lastHist = strings.Join(hs, "\n")
			if histFile != "" {
				if err := appendHistory(histFile, hs); err != nil {
					s.hint("history: " + err.Error())
					histFile = ""
				}
			}
		}
		entry = nil
	}
	return 0
}

// runScript evaluates input that is not a terminal: every form in turn,
// results on standard output, no prompts and no colour. The exit status
// is 1 when any form failed; Ctrl-C (or SIGTERM) stops with 130.
func (s *Session) runScript(r io.Reader) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sigs:
			s.stopped.Store(true)
			if !s.Interrupt() {
				// Waiting for input: nothing to finish.
				s.Close()
				os.Exit(130)
			}
		case <-done:
		}
	}()

	br := bufio.NewReader(r)
	for !s.quit && !s.stopped.Load() {
		line, err := br.ReadString('\n')
		if line != "" || err == nil {
			s.Input(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.report(err)
			}
			break
		}
	}
	if s.stopped.Load() {
		return 130
	}
	s.Finish()
	if s.failed {
		return 1
	}
	return 0
}

// isTerminal reports whether f is a terminal.
func isTerminal(v any) (*os.File, bool) {
	f, ok := v.(*os.File)
	if !ok {
		return nil, false
	}
	return f, term.IsTerminal(int(f.Fd()))
}

// terminalWidth returns f's width in columns, 80 when unknown.
func terminalWidth(f *os.File) func() int {
	return func() int {
		w, _, err := term.GetSize(int(f.Fd()))
		if err != nil || w <= 0 {
			return 80
		}
		return w
	}
}
