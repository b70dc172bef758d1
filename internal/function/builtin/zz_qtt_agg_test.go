//go:build qttdev

package builtin_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

var groupRE = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+(\w+)\s+AS\s+SELECT\s+(.*)\s+FROM\s+(\w+)\s+GROUP\s+BY\s+(\w+)\s*(EMIT\s+CHANGES)?\s*;?\s*$`)

func TestQTTAgg(t *testing.T) {
	dir := "/work/shared/conformance/qtt/query-validation-tests"
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	r := builtin.New()
	var pass, fail, skip int
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		raw = commentRE.ReplaceAll(raw, nil)
		var doc struct {
			Tests []qtest `json:"tests"`
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			continue
		}
	tests:
		for _, q := range doc.Tests {
			if len(q.Statements) != 2 {
				continue
			}
			stmt0 := strings.ReplaceAll(q.Statements[0], "{FORMAT}", "JSON")
			m := createRE.FindStringSubmatch(stmt0)
			g := groupRE.FindStringSubmatch(q.Statements[1])
			if m == nil || g == nil || !strings.Contains(strings.ToUpper(m[3]), "'JSON'") {
				skip++
				continue
			}
			cols := map[string]*types.Type{}
			var keyCols []string
			for _, c := range splitTop(m[2], ',') {
				c = strings.TrimSpace(c)
				isKey := regexp.MustCompile(`(?i)\s+(PRIMARY\s+)?KEY$`).MatchString(c)
				c = regexp.MustCompile(`(?i)\s+(PRIMARY\s+)?KEY$`).ReplaceAllString(c, "")
				sp := strings.IndexAny(c, " \t")
				name := strings.ToUpper(c[:sp])
				ct, err := parseType(c[sp+1:])
				if err != nil {
					skip++
					continue tests
				}
				cols[name] = ct
				if isKey {
					keyCols = append(keyCols, name)
				}
			}
			groupCol := strings.ToUpper(g[4])
			props := map[string]string{}
			for k, v := range q.Props {
				props[k] = fmt.Sprint(v)
			}
			type agg struct {
				alias string
				res   *function.ResolvedAggregate
				a     *function.Aggregator
				cols  []string // column args, "" for COUNT(*)
				accs  map[string]value.Value
			}
			var aggs []*agg
			exprN := 0
			var resolveErr error
			for _, item := range splitTop(g[2], ',') {
				item = strings.TrimSpace(item)
				alias := ""
				if am := regexp.MustCompile(`(?is)^(.*)\s+AS\s+(\S+)$`).FindStringSubmatch(item); am != nil {
					item, alias = am[1], strings.ToUpper(am[2])
				}
				item = strings.ReplaceAll(item, "(*)", "()")
				p := &parser{s: item}
				n := p.expr()
				p.ws()
				if p.err != nil || p.i != len(p.s) {
					skip++
					continue tests
				}
				if n.kind == "col" {
					continue
				}
				if alias == "" {
					alias = fmt.Sprintf("KSQL_COL_%d", exprN)
				}
				exprN++
				if n.kind != "call" {
					skip++
					continue tests
				}
				var argTypes []*types.Type
				var colArgs []string
				var inits []value.Value
				for _, a := range n.args {
					switch a.kind {
					case "col":
						ct, ok := cols[a.name]
						if !ok {
							skip++
							continue tests
						}
						argTypes = append(argTypes, ct)
						colArgs = append(colArgs, a.name)
					case "int", "bool", "str":
						c, err := (&env{r: r, cols: cols}).compile(a, nil)
						if err != nil {
							skip++
							continue tests
						}
						v, _ := c.eval(nil, nil)
						argTypes = append(argTypes, c.typ)
						inits = append(inits, v)
						colArgs = append(colArgs, "#lit")
					default:
						skip++
						continue tests
					}
				}
				if k, ok := r.KindOf(n.name); !ok || k != function.Aggregate {
					skip++
					continue tests
				}
				res, err := r.ResolveAggregate(n.name, argTypes)
				if err != nil {
					resolveErr = err
					break
				}
				initFlags := res.InitParams()
				if len(initFlags) != len(colArgs) {
					t.Fatalf("%s %s: flags %v args %v sig %v", q.Name, n.name, initFlags, argTypes, res.Sig.Params)
				}
				var realCols []string
				var initVals []value.Value
				li := 0
				for i, c := range colArgs {
					if initFlags[i] && c != "#lit" {
						resolveErr = fmt.Errorf("Parameter %d passed to function %s must be a literal constant", i+1, n.name)
						break
					}
					if initFlags[i] {
						initVals = append(initVals, inits[li])
						li++
					} else if c == "#lit" {
						// a literal column argument such as COUNT(1)
						realCols = append(realCols, "#"+fmt.Sprint(li))
						li++
					} else {
						realCols = append(realCols, c)
					}
				}
				if resolveErr != nil {
					break
				}
				a, err := res.New(initVals, props)
				if err != nil {
					resolveErr = err
					break
				}
				aggs = append(aggs, &agg{alias: alias, res: res, a: a, cols: realCols, accs: map[string]value.Value{}})
				_ = inits
			}
			if q.Exc != nil {
				if resolveErr != nil && strings.Contains(resolveErr.Error(), q.Exc["message"]) {
					pass++
				} else {
					skip++
				}
				continue
			}
			if resolveErr != nil {
				fail++
				t.Errorf("%s / %s: %v", filepath.Base(f), q.Name, resolveErr)
				continue
			}
			if len(aggs) == 0 || len(q.Outputs) != len(q.Inputs) {
				skip++
				continue
			}
			ok := true
			for i, in := range q.Inputs {
				var iv map[string]any
				d := json.NewDecoder(strings.NewReader(string(in.Value)))
				d.UseNumber()
				if err := d.Decode(&iv); err != nil || iv == nil {
					skip++
					continue tests
				}
				row := map[string]value.Value{}
				if len(keyCols) == 1 && len(in.Key) > 0 {
					var kx any
					d := json.NewDecoder(strings.NewReader(string(in.Key)))
					d.UseNumber()
					if d.Decode(&kx) == nil {
						if kv, err := fromJSON(kx, cols[keyCols[0]]); err == nil {
							row[keyCols[0]] = kv
						}
					}
				}
				for k, x := range iv {
					name := strings.ToUpper(k)
					ct, ok := cols[name]
					if !ok {
						continue
					}
					v, err := fromJSON(x, ct)
					if err != nil {
						skip++
						continue tests
					}
					row[name] = v
				}
				gk := row[groupCol].String()
				var ov map[string]any
				d = json.NewDecoder(strings.NewReader(string(q.Outputs[i].Value)))
				d.UseNumber()
				if err := d.Decode(&ov); err != nil || ov == nil {
					skip++
					continue tests
				}
				for _, ag := range aggs {
					acc, seen := ag.accs[gk]
					if !seen {
						acc = ag.a.Init()
					}
					args := make([]value.Value, len(ag.cols))
					for j, c := range ag.cols {
						if strings.HasPrefix(c, "#") {
							args[j] = value.Int(1)
						} else {
							args[j] = row[c]
						}
					}
					if err := ag.res.WidenColumns(args); err != nil {
						t.Fatal(err)
					}
					next, err := ag.a.Aggregate(acc, args)
					if err == nil {
						acc = next
					}
					ag.accs[gk] = acc
					out, _ := ag.a.Map(acc)
					got := normalize(toJSON(out, ag.a.ReturnType))
					want, present := ov[ag.alias]
					if !present {
						continue
					}
					if !approxEqual(got, normalize(want)) {
						ok = false
						t.Errorf("%s / %s / row %d / %s: got %v, want %v", filepath.Base(f), q.Name, i, ag.alias, got, normalize(want))
					}
				}
			}
			if ok {
				pass++
			} else {
				fail++
			}
		}
	}
	t.Logf("pass %d fail %d skip %d", pass, fail, skip)
}
