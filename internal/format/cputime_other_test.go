//go:build !linux

package format

import "time"

func threadCPU() time.Duration { return 0 }
