package testsvc

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// spawn starts cmd detached from the caller: in its own session, so a
// Ctrl-C to `go test` does not reach it, with stdin from /dev/null and both
// output streams appended to logPath. Handing the child real files rather
// than pipes matters: `go test` waits for EOF on its own pipes, and a
// service holding one would hang every test run. The process is released,
// not waited for; it belongs to the state file from now on.
func spawn(cmd *exec.Cmd, logPath string) (int, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("testsvc: open log: %w", err)
	}
	defer logf.Close()
	cmd.Stdin = nil
	cmd.Stdout = logf
	cmd.Stderr = logf
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("testsvc: start %s: %w", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	if err := cmd.Process.Release(); err != nil {
		return 0, fmt.Errorf("testsvc: release %d: %w", pid, err)
	}
	return pid, nil
}

// alive reports whether pid runs. A child that exits while its starter
// still runs stays a zombie (it was released, not waited for), and
// kill(pid, 0) succeeds on zombies, so the state letter in /proc decides.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The command name in parentheses may hold spaces; the state follows
	// the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return false
	}
	state := data[i+2]
	return state != 'Z' && state != 'X'
}

// owned reports whether pid is still a process this harness started for
// the service in dir: every service's command line names a path inside its
// directory. It keeps a stale state file (after a reboot, say) from getting
// an unrelated process killed because it reused the pid.
func owned(pid int, dir string) bool {
	if !alive(pid) {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	return bytes.Contains(data, []byte(dir))
}

// terminate sends sig to the process group of pid (each service leads its
// own session) and waits up to grace for the leader to go, then kills the
// group.
func terminate(pid int, sig syscall.Signal, grace time.Duration) error {
	if !alive(pid) {
		return nil
	}
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("testsvc: signal %d: %w", pid, err)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("testsvc: kill %d: %w", pid, err)
	}
	for i := 0; i < 50 && alive(pid); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// freePorts asks the kernel for n distinct unused ports on 127.0.0.1. They
// are free when returned; a service binds them moments later, and a lost
// race shows up as a start failure with the bind error in the log.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("testsvc: finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tail returns the last n lines of the file at path, for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// run executes a short install step, returning its combined output in the
// error when it fails.
func run(cmd *exec.Cmd) error {
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("testsvc: %s: %w\n%s", strings.Join(cmd.Args, " "), err, lastBytes(out, 4000))
	}
	return nil
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
