package testsvc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The Java-based services need a JDK (javac for the search runner) and
// Maven. They are on the reference machine; on a bare Debian one they come
// from apt, like PostgreSQL.
func ensureJava(ctx context.Context, o *Options) error {
	var missing []string
	if _, err := exec.LookPath("javac"); err != nil {
		missing = append(missing, "openjdk-17-jdk-headless")
	}
	if _, err := exec.LookPath("mvn"); err != nil {
		missing = append(missing, "maven")
	}
	if len(missing) == 0 {
		return nil
	}
	return aptInstall(ctx, o, missing...)
}

// aptInstall installs Debian packages. It needs root; the package lists are
// refreshed first because a fresh image often has none.
func aptInstall(ctx context.Context, o *Options, pkgs ...string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("testsvc: packages %v are missing and installing them needs root", pkgs)
	}
	o.Logger.Info("installing Debian packages", "packages", pkgs)
	lk, err := lockFile(ctx, filepath.Join(o.Cache, "apt.lock"))
	if err != nil {
		return err
	}
	defer lk.unlock()
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	update := exec.CommandContext(ctx, "apt-get", "update")
	update.Env = env
	if err := run(update); err != nil {
		return err
	}
	install := exec.CommandContext(ctx, "apt-get", append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...)
	install.Env = env
	return run(install)
}

// mavenCopy resolves the dependencies of the POM at pom into libDir, using
// a Maven repository inside the cache so a fresh clone reuses downloads.
// It writes into a temporary directory and renames it, so a half-finished
// copy is never mistaken for an install.
func mavenCopy(ctx context.Context, o *Options, pom string, props map[string]string, libDir string) error {
	if _, err := os.Stat(libDir); err == nil {
		return nil
	}
	if _, err := os.Stat(pom); err != nil {
		return fmt.Errorf("testsvc: maven project: %w", err)
	}
	tmp := libDir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	args := []string{"-B", "-q", "-f", pom,
		"-Dmaven.repo.local=" + filepath.Join(o.Cache, "m2"),
		"dependency:copy-dependencies",
		"-DincludeScope=runtime",
		"-DoutputDirectory=" + tmp,
	}
	for k, v := range props {
		args = append(args, "-D"+k+"="+v)
	}
	o.Logger.Info("resolving jars from Maven Central", "pom", pom)
	if err := run(exec.CommandContext(ctx, "mvn", args...)); err != nil {
		return err
	}
	if err := os.Rename(tmp, libDir); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	return nil
}

// MavenJars resolves the runtime dependencies of the Maven project pom,
// with props as -D properties, into <cache>/<name>/lib and returns that
// directory. Benchmarks use it for their JVM peers; name should carry the
// versions, since an existing directory is taken as installed.
func MavenJars(ctx context.Context, o Options, pom, name string, props map[string]string) (string, error) {
	if err := o.EnsureDefaults(); err != nil {
		return "", err
	}
	lk, err := lockFile(ctx, filepath.Join(o.Cache, name+".lock"))
	if err != nil {
		return "", err
	}
	defer lk.unlock()
	if err := ensureJava(ctx, &o); err != nil {
		return "", err
	}
	lib := filepath.Join(o.Cache, name, "lib")
	if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
		return "", fmt.Errorf("testsvc: %w", err)
	}
	if err := mavenCopy(ctx, &o, pom, props, lib); err != nil {
		return "", err
	}
	return lib, nil
}
