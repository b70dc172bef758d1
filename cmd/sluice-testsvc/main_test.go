package main

import (
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/testsvc"
)

func TestParseNames(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []testsvc.Name
		err  error
	}{
		{nil, nil, nil},
		{[]string{"all"}, nil, nil},
		{[]string{"kafka", "Mongo"}, []testsvc.Name{testsvc.KafkaName, testsvc.MongoName}, nil},
		{[]string{"postgres", "all"}, nil, nil},
		{[]string{"redis"}, nil, testsvc.ErrUnknownService},
	} {
		got, err := parseNames(tc.args)
		if !errors.Is(err, tc.err) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseNames(%q) = %v, %v; want %v, %v", tc.args, got, err, tc.want, tc.err)
		}
	}
}

// TestNotLinkedIntoSluice guards the rule that the harness (and the Java
// and apt machinery behind it) never ships in the sluice binary.
func TestNotLinkedIntoSluice(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/sluicedb/sluice/cmd/sluice").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "github.com/sluicedb/sluice/internal/testsvc") {
		t.Fatal("cmd/sluice depends on internal/testsvc")
	}
}
