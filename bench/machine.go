package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// cpuModel returns the first "model name" of /proc/cpuinfo, or GOARCH.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return runtime.GOARCH
}

// kernel returns the kernel release, or "".
func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// machineLine describes the machine: CPU, cores, OS, Go, date.
func machineLine(now time.Time) string {
	os := runtime.GOOS
	if k := kernel(); k != "" {
		os += " " + k
	}
	return fmt.Sprintf("%s, %d cores, %s, %s %s/%s, %s", cpuModel(), runtime.NumCPU(), os,
		runtime.Version(), runtime.GOOS, runtime.GOARCH, now.UTC().Format("2006-01-02 15:04 UTC"))
}

// gitDescribe names the checkout the node was built from: the short
// commit, with "+ local changes" for a dirty tree (but for bench/results);
// "" without git.
func gitDescribe(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(out))
	// The harness's own output (bench/results) does not count as a change.
	st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no",
		"--", ".", ":(exclude)bench/results").Output()
	if err == nil && len(bytes.TrimSpace(st)) > 0 {
		s += " + local changes"
	}
	return s
}

// loadAvg returns the 1-minute load average from /proc/loadavg, or "":
// the machine's cores may be shared with other work.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
