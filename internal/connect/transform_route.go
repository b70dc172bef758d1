package connect

import (
	"fmt"
	"regexp"
	"strings"
)

// RegexRouterClass is Kafka Connect's topic-renaming SMT, often paired
// with Debezium to route tables to other topics.
const RegexRouterClass = "org.apache.kafka.connect.transforms.RegexRouter"

var regexRouterSpec = NewSpec(
	Key{Name: "regex", Required: true, Doc: "Regular expression the whole topic name must match."},
	Key{Name: "replacement", Required: true, Doc: "Replacement, with $1-style group references."},
)

type regexRouter struct {
	re   *regexp.Regexp
	repl string
}

// javaGroupRef matches Java's $n group references, which Go spells ${n}.
var javaGroupRef = regexp.MustCompile(`\$(\d+)`)

func newRegexRouter(cfg *Config) (Transform, error) {
	re, err := regexp.Compile("^(?:" + cfg.String("regex") + ")$")
	if err != nil {
		return nil, &ConfigError{Key: "regex", Msg: fmt.Sprintf("%q is not a valid regular expression: %v", cfg.String("regex"), err)}
	}
	repl := strings.ReplaceAll(cfg.String("replacement"), "${", "$${")
	repl = javaGroupRef.ReplaceAllString(repl, "$${$1}")
	return &regexRouter{re: re, repl: repl}, nil
}

func (r *regexRouter) Apply(rec *Record) (*Record, error) {
	if !r.re.MatchString(rec.Topic) {
		return rec, nil
	}
	out := rec.Copy()
	out.Topic = r.re.ReplaceAllString(rec.Topic, r.repl)
	return out, nil
}
