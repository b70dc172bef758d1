// Package cli owns Sluice's interactive shell, a REPL like ksqlDB's CLI
// over the REST API: multi-line statements ended by ';', history, tabular
// output, live push query rows stopped with Ctrl-C, RUN SCRIPT, and
// client-side SET and DEFINE that travel with every request.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
)

// LineReader supplies input lines; io.EOF ends the session and
// ErrInterrupt discards the statement being typed.
type LineReader interface {
	Readline() (string, error)
	SetPrompt(p string)
}

// ErrInterrupt is a Ctrl-C at the prompt.
var ErrInterrupt = errors.New("interrupted")

// Options configures a REPL.
type Options struct {
	Client *Client
	Out    io.Writer
	// Interrupts signals Ctrl-C while a query runs: the query stops and
	// the REPL goes on. Nil means queries run until they end.
	Interrupts <-chan os.Signal
}

// REPL is one CLI session. Its properties and variables live on the
// client, as in ksqlDB's CLI, and go with every request.
type REPL struct {
	opts   Options
	props  map[string]string
	vars   map[string]string
	parser *parser.Parser
	buf    strings.Builder
	// depth bounds RUN SCRIPT nesting so a script cannot run itself
	// forever.
	depth int
}

// New returns a REPL.
func New(opts Options) *REPL {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	return &REPL{opts: opts, props: map[string]string{}, vars: map[string]string{},
		parser: parser.New(parser.Options{AllowRunScript: true})}
}

const (
	prompt     = "sluice> "
	contPrompt = "      > "
)

// Run reads lines until EOF or EXIT, executing each complete statement.
// Errors are printed, not returned: an interactive session goes on.
func (r *REPL) Run(ctx context.Context, lr LineReader) error {
	lr.SetPrompt(prompt)
	for {
		line, err := lr.Readline()
		if errors.Is(err, ErrInterrupt) {
			r.buf.Reset()
			lr.SetPrompt(prompt)
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		exit, _ := r.Line(ctx, line)
		if exit {
			return nil
		}
		if r.buf.Len() > 0 {
			lr.SetPrompt(contPrompt)
		} else {
			lr.SetPrompt(prompt)
		}
	}
}

// Line adds one input line and runs the statements it completes. It
// reports whether the user asked to exit, and the last statement's error.
func (r *REPL) Line(ctx context.Context, line string) (bool, error) {
	if r.buf.Len() == 0 {
		switch strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), ";"))) {
		case "exit", "quit":
			return true, nil
		case "help":
			r.help()
			return false, nil
		case "":
			return false, nil
		}
	}
	r.buf.WriteString(line)
	r.buf.WriteString("\n")
	text := r.buf.String()
	segs := parser.Split(text)
	var lastErr error
	rest := ""
	for _, seg := range segs {
		if !seg.Complete {
			rest = seg.Text
			break
		}
		if err := r.statement(ctx, seg.Text); err != nil {
			r.printError(err)
			lastErr = err
		}
	}
	r.buf.Reset()
	if strings.TrimSpace(rest) != "" {
		r.buf.WriteString(rest)
		r.buf.WriteString("\n")
	}
	return false, lastErr
}

// Exec runs every statement of text in order and stops at the first
// error, which it returns after printing it. A trailing statement without
// ';' runs too.
func (r *REPL) Exec(ctx context.Context, text string) error {
	for _, seg := range parser.Split(text) {
		if strings.TrimSpace(seg.Text) == "" {
			continue
		}
		if err := r.statement(ctx, seg.Text); err != nil {
			r.printError(err)
			return err
		}
	}
	return nil
}

func (r *REPL) printError(err error) {
	fmt.Fprintln(r.opts.Out, err.Error())
}

func (r *REPL) help() {
	fmt.Fprint(r.opts.Out, `Statements end with ';' and may span lines. Besides ksqlDB's SQL:
  RUN SCRIPT '<file>';      run the statements in a file
  SET '<prop>'='<value>';   set a property for the following statements
  UNSET '<prop>';           remove it
  DEFINE <name> = '<val>';  define a variable for ${name} substitution
  UNDEFINE <name>;          remove it
  exit | quit               leave the CLI
Ctrl-C stops a running push query; Ctrl-D exits.
`)
}

// statement runs one statement: the client-side commands here, queries
// through /query-stream, everything else through /ksql.
func (r *REPL) statement(ctx context.Context, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	st, perr := r.parser.ParseStatement(parser.SubstituteVariables(text, r.vars))
	switch s := st.(type) {
	case *ast.RunScript:
		return r.runScript(ctx, s.Path)
	case *ast.SetProperty:
		old, had := r.props[s.Name]
		r.props[s.Name] = s.Value
		if had {
			fmt.Fprintf(r.opts.Out, "Successfully changed local property '%s' from '%s' to '%s'.\n", s.Name, old, s.Value)
		} else {
			fmt.Fprintf(r.opts.Out, "Successfully changed local property '%s' to '%s'.\n", s.Name, s.Value)
		}
		return nil
	case *ast.UnsetProperty:
		if _, ok := r.props[s.Name]; !ok {
			return fmt.Errorf("Cannot unset local property '%s' which was never set", s.Name)
		}
		delete(r.props, s.Name)
		fmt.Fprintf(r.opts.Out, "Successfully unset local property '%s'.\n", s.Name)
		return nil
	case *ast.DefineVariable:
		r.vars[strings.ToUpper(s.Name)] = s.Value
		return nil
	case *ast.UndefineVariable:
		name := strings.ToUpper(s.Name)
		if _, ok := r.vars[name]; !ok {
			fmt.Fprintf(r.opts.Out, "Variable '%s' is undefined\n", s.Name)
		}
		delete(r.vars, name)
		return nil
	case *ast.Query:
		return r.query(ctx, text)
	}
	_ = perr // the server reports syntax errors in its own words
	ents, err := r.opts.Client.Ksql(ctx, text+";", r.props, r.vars)
	if err != nil {
		var se *ServerError
		if errors.As(err, &se) {
			for _, e := range se.Entities {
				printEntity(r.opts.Out, e)
			}
		}
		return err
	}
	for _, e := range ents {
		printEntity(r.opts.Out, e)
	}
	return nil
}

func (r *REPL) runScript(ctx context.Context, path string) error {
	if r.depth >= 8 {
		return fmt.Errorf("RUN SCRIPT '%s': scripts nest too deeply", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("Failed to read file: %s", path)
	}
	r.depth++
	defer func() { r.depth-- }()
	for _, seg := range parser.Split(string(data)) {
		if strings.TrimSpace(seg.Text) == "" {
			continue
		}
		if err := r.statement(ctx, seg.Text); err != nil {
			return err
		}
	}
	return nil
}

// query runs a SELECT and prints its rows as they arrive. Ctrl-C (from
// Interrupts) closes the query and returns to the prompt.
func (r *REPL) query(ctx context.Context, text string) error {
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	interrupted := false
	var stopped chan struct{}
	if r.opts.Interrupts != nil {
		stopped = make(chan struct{})
		go func() {
			defer close(stopped)
			select {
			case <-r.opts.Interrupts:
				interrupted = true
				cancel()
			case <-done:
			}
		}()
	}
	var widths []int
	border := func() {
		var b strings.Builder
		b.WriteString("+")
		for _, w := range widths {
			b.WriteString(strings.Repeat("-", w) + "+")
		}
		fmt.Fprintln(r.opts.Out, b.String())
	}
	printRow := func(cells []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, w := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			b.WriteString(c + strings.Repeat(" ", max(w-utf8.RuneCountInString(c), 0)) + "|")
		}
		fmt.Fprintln(r.opts.Out, b.String())
	}
	err := r.opts.Client.Query(qctx, text+";", r.props, r.vars,
		func(h QueryHeader) {
			widths = make([]int, len(h.ColumnNames))
			for i, n := range h.ColumnNames {
				widths[i] = max(utf8.RuneCountInString(n)+1, 18)
			}
			border()
			printRow(h.ColumnNames)
			border()
		},
		func(row []any) {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = cell(v)
			}
			printRow(cells)
		})
	close(done)
	if stopped != nil {
		<-stopped
	}
	if widths != nil && (err == nil || interrupted) {
		border()
	}
	if interrupted {
		fmt.Fprintln(r.opts.Out, "Query terminated")
		return nil
	}
	return err
}

// Props returns the session's properties, sorted by name, for tests.
func (r *REPL) Props() []string {
	out := make([]string, 0, len(r.props))
	for k, v := range r.props {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
