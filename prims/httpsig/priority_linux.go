package httpsig

import (
	"os"
	"strconv"
	"syscall"
)

// lowerPriority sets every thread of this process to nice 19. On Linux a
// nice value belongs to a thread, and a new thread inherits its creator's:
// once all are lowered (a thread started meanwhile is caught by the next
// pass), every later one is too.
func lowerPriority() {
	done := map[int]bool{}
	for {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			syscall.Setpriority(syscall.PRIO_PROCESS, 0, 19)
			return
		}
		more := false
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err == nil && !done[tid] {
				syscall.Setpriority(syscall.PRIO_PROCESS, tid, 19)
				done[tid], more = true, true
			}
		}
		if !more {
			return
		}
	}
}
