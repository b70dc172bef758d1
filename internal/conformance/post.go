package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
)

// checkPost verifies the sources and topics a test expects afterwards.
func (r *Runner) checkPost(env *testEnv, t Test) error {
	if t.Post == nil {
		return nil
	}
	for _, ps := range t.Post.Sources {
		src, ok := env.eng.Catalog().Source(ps.Name)
		if !ok {
			return fmt.Errorf("post: source %s does not exist", ps.Name)
		}
		if ps.Type != "" && !strings.EqualFold(ps.Type, src.Kind.String()) {
			return fmt.Errorf("post: source %s is a %s, expected %s", ps.Name, src.Kind, ps.Type)
		}
		if ps.Schema != "" {
			want, err := env.eng.ColumnsFromSQL(ps.Schema)
			if err != nil {
				return fmt.Errorf("post: source %s: bad expected schema %q: %w", ps.Name, ps.Schema, err)
			}
			if !sameColumns(want, src.Schema.Columns) {
				return fmt.Errorf("post: source %s: schema is %s, expected %s", ps.Name, src.Schema, catalog.Schema{Columns: want})
			}
		}
		if ps.ValueFormat != "" && !strings.EqualFold(ps.ValueFormat, src.ValueFormat.Name) {
			return fmt.Errorf("post: source %s: value format is %s, expected %s", ps.Name, src.ValueFormat.Name, ps.ValueFormat)
		}
		if len(ps.KeyFormat) > 0 {
			var kf struct {
				Format string `json:"format"`
			}
			if json.Unmarshal(ps.KeyFormat, &kf) == nil && kf.Format != "" && !strings.EqualFold(kf.Format, src.KeyFormat.Name) {
				return fmt.Errorf("post: source %s: key format is %s, expected %s", ps.Name, src.KeyFormat.Name, kf.Format)
			}
		}
	}
	if len(t.Post.Topics) > 0 {
		var pt struct {
			Blacklist string `json:"blacklist"`
		}
		if json.Unmarshal(t.Post.Topics, &pt) == nil && pt.Blacklist != "" {
			re, err := regexp.Compile(pt.Blacklist)
			if err == nil {
				topics, err := env.log.ListTopics(context.Background())
				if err != nil {
					return err
				}
				for _, tp := range topics {
					if re.MatchString(tp.Name) {
						return fmt.Errorf("post: topic %s must not exist", tp.Name)
					}
				}
			}
		}
	}
	return nil
}

func sameColumns(a, b []catalog.Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !a[i].Type.Equal(b[i].Type) || a[i].Namespace != b[i].Namespace {
			return false
		}
	}
	return true
}
