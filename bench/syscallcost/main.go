// Command syscallcost measures what one syscall costs the process that
// makes it: it calls getppid (which no rule asks for) and opens and closes
// /dev/null (openat, which rules ask for) N times each and prints the CPU
// time (user and system) per call. Run it with and without a monitor to
// see what the monitor adds to each call (bench/README.md, "Stopping").
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	n := flag.Int("n", 2_000_000, "calls of each kind")
	flag.Parse()
	measure := func(name string, n int, call func()) {
		c0 := cpuTime()
		for range n {
			call()
		}
		fmt.Printf("%s %.1f ns/call\n", name, float64(cpuTime()-c0)/float64(n))
	}
	measure("getppid", *n, func() { syscall.Getppid() })
	measure("open+close", *n/10, func() {
		if fd, err := syscall.Open("/dev/null", syscall.O_RDONLY, 0); err == nil {
			syscall.Close(fd)
		}
	})
}
