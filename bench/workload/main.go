// Command workload runs the exec/open/connect workload of Lanner's
// overhead benchmark (bench/overhead.sh): n times fork+exec of a no-op
// program, n times open and close of one file, n times a TCP connect to a
// listener on 127.0.0.1 served by a separate process. It prints the wall
// time the three loops took.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"time"
)

func main() {
	n := flag.Int("n", 5000, "iterations of each action")
	noop := flag.String("noop", "", "no-op program to execute")
	file := flag.String("file", "/tmp/lanner-workload-file", "file to open")
	addr := flag.String("addr", "127.0.0.1:47001", "address to connect to")
	serve := flag.Bool("serve", false, "accept connections on -addr (run by the workload itself)")
	flag.Parse()
	if *serve {
		serveForever(*addr)
		return
	}
	if err := run(*n, *noop, *file, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
}

func serveForever(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
	fmt.Println("listening")
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

func run(n int, noop, file, addr string) error {
	if noop == "" {
		return fmt.Errorf("-noop is required")
	}
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	srv := exec.Command(self, "-serve", "-addr", addr)
	out, _ := srv.StdoutPipe()
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	buf := make([]byte, 16)
	if _, err := out.Read(buf); err != nil {
		return fmt.Errorf("listener: %w", err)
	}

	start := time.Now()
	for i := 0; i < n; i++ {
		if err := exec.Command(noop).Run(); err != nil {
			return err
		}
	}
	for i := 0; i < n; i++ {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		f.Close()
	}
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		c.Close()
	}
	fmt.Printf("%.3f\n", time.Since(start).Seconds())
	return nil
}
