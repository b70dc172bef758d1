package capture

import (
	"fmt"
	"regexp"
	"strings"
)

// Filter decides which collections are captured, from Debezium's
// database and collection include/exclude lists: comma-separated regular
// expressions matched against the whole name ("logistics" for databases,
// "logistics.orders" for collections). An empty include list includes
// everything; excludes win. System databases (admin, config, local) and
// system.* collections are never captured.
type Filter struct {
	dbInclude, dbExclude     []*regexp.Regexp
	collInclude, collExclude []*regexp.Regexp
}

// FilterLists are the raw lists a Filter is built from.
type FilterLists struct {
	DBInclude, DBExclude     []string
	CollInclude, CollExclude []string
}

// NewFilter compiles the lists; an invalid pattern is an error naming it.
func NewFilter(l FilterLists) (*Filter, error) {
	f := &Filter{}
	for _, x := range []struct {
		in  []string
		out *[]*regexp.Regexp
	}{{l.DBInclude, &f.dbInclude}, {l.DBExclude, &f.dbExclude}, {l.CollInclude, &f.collInclude}, {l.CollExclude, &f.collExclude}} {
		for _, p := range x.in {
			re, err := regexp.Compile("^(?:" + p + ")$")
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", p, err)
			}
			*x.out = append(*x.out, re)
		}
	}
	return f, nil
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// Database reports whether any collection of db may be captured.
func (f *Filter) Database(db string) bool {
	switch db {
	case "admin", "config", "local":
		return false
	}
	if len(f.dbInclude) > 0 && !anyMatch(f.dbInclude, db) {
		return false
	}
	return !anyMatch(f.dbExclude, db)
}

// Collection reports whether db.coll is captured.
func (f *Filter) Collection(db, coll string) bool {
	if !f.Database(db) || strings.HasPrefix(coll, "system.") {
		return false
	}
	ns := db + "." + coll
	if len(f.collInclude) > 0 && !anyMatch(f.collInclude, ns) {
		return false
	}
	return !anyMatch(f.collExclude, ns)
}
