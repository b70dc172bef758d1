package format

import (
	"syscall"
	"time"
)

// threadCPU returns the calling thread's CPU time, so benchmarks can report
// cost per record that does not depend on how busy the machine is.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
