package testsvc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// Environment variables that override where the harness keeps its files.
const (
	// EnvRoot names the repository root; by default it is found by walking
	// up from the working directory to go.mod.
	EnvRoot = "SLUICE_ROOT"
	// EnvCache names the install cache; by default $HOME/.cache/sluice-testsvc.
	EnvCache = "SLUICE_TESTSVC_CACHE"
)

// Options say where the harness keeps installs and running state. The zero
// value is usable after EnsureDefaults.
type Options struct {
	// Root is the repository root. Running state goes to Root/.services and
	// the support files (POMs, Java sources) are read from Root/services.
	Root string
	// Cache holds installs shared by every checkout on the machine.
	Cache string
	// Logger receives progress messages. Defaults to discarding them.
	Logger *slog.Logger
}

// ErrNoRoot is returned when the repository root cannot be located.
var ErrNoRoot = errors.New("testsvc: repository root not found (set " + EnvRoot + ")")

// EnsureDefaults fills in unset fields from the environment.
func (o *Options) EnsureDefaults() error {
	if o.Root == "" {
		o.Root = os.Getenv(EnvRoot)
	}
	if o.Root == "" {
		root, err := findRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	abs, err := filepath.Abs(o.Root)
	if err != nil {
		return fmt.Errorf("testsvc: root %q: %w", o.Root, err)
	}
	o.Root = abs
	if o.Cache == "" {
		o.Cache = os.Getenv(EnvCache)
	}
	if o.Cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("testsvc: locating the install cache: %w", err)
		}
		o.Cache = filepath.Join(home, ".cache", "sluice-testsvc")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// servicesDir is where running state lives.
func (o *Options) servicesDir() string { return filepath.Join(o.Root, ".services") }

// supportDir is where the committed support files (POMs, Java sources) are.
func (o *Options) supportDir() string { return filepath.Join(o.Root, "services") }

// findRoot walks up from the working directory to the directory holding
// Sluice's go.mod. Test binaries run in their package directory, so this
// finds the checkout from any package.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testsvc: %w", err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && isSluiceMod(data) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoRoot
		}
		dir = parent
	}
}

func isSluiceMod(data []byte) bool {
	return bytes.Contains(data, []byte("module github.com/sluicedb/sluice\n"))
}
