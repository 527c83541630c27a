package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. It is 100 on every
// Linux architecture Go supports (the kernel fixes it for the ABI); reading sysconf(_SC_CLK_TCK)
// would need cgo for no gain.
const clockTicks = 100

// processCPU returns the user + system CPU time the process has used so far, from
// /proc/PID/stat (fields 14 and 15, counted after the parenthesised command name, which may
// itself contain spaces and parentheses).
func processCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(data)
}

func parseStatCPU(data []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat line has no ')' after the command name: %q", snippet(data))
	}
	// after ")": state(3) ppid(4) ... utime(14) stime(15): indexes 11 and 12 of the rest
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat line has %d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat utime/stime %q: %w", s, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// processMemory returns VmRSS (resident now) and VmHWM (peak resident) in bytes from
// /proc/PID/status.
func processMemory(pid int) (rss, hwm int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseStatusMemory(data)
}

func parseStatusMemory(data []byte) (rss, hwm int64, err error) {
	for line := range strings.SplitSeq(string(data), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("/proc status %s: %q is not \"N kB\"", key, strings.TrimSpace(val))
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc status %s: %w", key, err)
		}
		if key == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
	}
	if rss == 0 || hwm == 0 {
		return 0, 0, fmt.Errorf("/proc status has no VmRSS/VmHWM (VmRSS %d, VmHWM %d): a kernel thread or a zombie", rss, hwm)
	}
	return rss, hwm, nil
}

// selfCPU is this process's user + system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// diskUsage returns the bytes allocated to the regular files under dir, as du counts them
// (st_blocks x 512), and their apparent size. Allocated is what a data set costs: Badger
// preallocates its value log and memtable files as sparse files whose apparent size says
// nothing. Directories are not counted, as in the storage benchmark, so the numbers compare.
func diskUsage(dir string) (allocated, apparent int64, err error) {
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a running server removed it (compaction) while we walked
		}
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no stat_t (not Linux?)", path)
		}
		allocated += st.Blocks * 512 // st_blocks is in 512-byte units whatever the block size
		apparent += fi.Size()
		return nil
	})
	return allocated, apparent, err
}
