package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/chzyer/readline"
)

// Terminal is a LineReader with line editing and history, over a real
// terminal or any reader.
type Terminal struct {
	rl *readline.Instance
}

// NewTerminal returns a line editor on in/out. History is kept in
// historyFile unless it is empty.
func NewTerminal(in io.ReadCloser, out io.Writer, historyFile string) (*Terminal, error) {
	cfg := &readline.Config{
		Prompt:                 prompt,
		HistoryFile:            historyFile,
		InterruptPrompt:        "^C",
		EOFPrompt:              "exit",
		DisableAutoSaveHistory: false,
		Stdin:                  in,
		Stdout:                 out,
		Stderr:                 out,
		HistorySearchFold:      true,
	}
	if f, ok := in.(*os.File); !ok || f != os.Stdin {
		// readline asks the process's terminal about raw mode; a non-stdin
		// reader is never one.
		cfg.FuncIsTerminal = func() bool { return false }
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return nil, err
	}
	return &Terminal{rl: rl}, nil
}

// DefaultHistoryFile is ~/.sluice/history, created on demand.
func DefaultHistoryFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	dir := filepath.Join(home, ".sluice")
	if os.MkdirAll(dir, 0o700) != nil {
		return ""
	}
	return filepath.Join(dir, "history")
}

// Readline reads one line.
func (t *Terminal) Readline() (string, error) {
	line, err := t.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", ErrInterrupt
	}
	return line, err
}

// SetPrompt changes the prompt.
func (t *Terminal) SetPrompt(p string) { t.rl.SetPrompt(p) }

// Close restores the terminal.
func (t *Terminal) Close() error { return t.rl.Close() }
