package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// watchRSS starts fsviews on profile, waits, and reads the RSS of the
// process fsviews leaves outside the PID namespace: a description and
// VmRSS in KiB.
func watchRSS(fsviews, profile string, after time.Duration) (string, int64, error) {
	cmd := exec.Command(fsviews, "run", profile)
	if err := cmd.Start(); err != nil {
		return "", 0, err
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	time.Sleep(after)
	pid := cmd.Process.Pid
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", 0, err
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	kib, err := strconv.ParseInt(strings.TrimSuffix(fields["VmRSS"], " kB"), 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("VmRSS of pid %d: %q", pid, fields["VmRSS"])
	}
	return fmt.Sprintf("process %q (pid %d): VmRSS %s, VmHWM (peak) %s", fields["Name"], pid, fields["VmRSS"], fields["VmHWM"]), kib, nil
}

// caseSizeSyscalls prints the binary size and the syscalls one start-up
// makes, counted by strace -f -c (the exec'd /bin/true included, for
// every tool alike).
func caseSizeSyscalls(w io.Writer, c config, t *tools) error {
	progress("x: binary size and syscall counts")
	fmt.Fprintf(w, "\n## Binary size and syscalls per start-up\n\n")
	if fi, err := os.Stat(t.fsviews); err == nil {
		fmt.Fprintf(w, "fsviews binary: %.1f MiB (static, no cgo)", float64(fi.Size())/(1<<20))
	}
	if bw, err := exec.LookPath("bwrap"); err == nil {
		if fi, err := os.Stat(bw); err == nil {
			fmt.Fprintf(w, "; bwrap: %.0f KiB (dynamically linked)", float64(fi.Size())/1024)
		}
	}
	fmt.Fprintf(w, ".\n\n")
	if _, err := exec.LookPath("strace"); err != nil {
		fmt.Fprintf(w, "strace not found: syscall counts skipped.\n")
		return nil
	}
	fs, bw, pl, err := t.trio(view{}, "/bin/true")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "| command (base view, /bin/true) | syscalls | failed | distinct | top 5 |\n|---|---|---|---|---|\n")
	for _, s := range []*series{fs, bw, pl, newSeries("/bin/true alone", "/bin/true")} {
		if s.skip != "" {
			fmt.Fprintf(w, "| %s | %s | | | |\n", s.name, s.skip)
			continue
		}
		total, errs, distinct, top, err := straceCount(t.tmp, s.argv)
		if err != nil {
			fmt.Fprintf(w, "| %s | %v | | | |\n", s.name, err)
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %s |\n", s.name, total, errs, distinct, top)
	}
	return nil
}

func straceCount(tmp string, argv []string) (total, errs, distinct int, top string, err error) {
	out := tmp + "/strace.txt"
	cmd := exec.Command("strace", append([]string{"-f", "-c", "-U", "calls,errors,name", "-S", "calls", "-o", out}, argv...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, 0, 0, "", fmt.Errorf("strace: %v: %s", err, firstLine(string(b)))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return 0, 0, 0, "", err
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || strings.HasPrefix(l, "-") || f[0] == "calls" {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		e := 0
		name := f[len(f)-1]
		if len(f) == 3 {
			e, _ = strconv.Atoi(f[1])
		}
		if name == "total" {
			total, errs = n, e
			continue
		}
		distinct++
		if len(names) < 5 {
			names = append(names, fmt.Sprintf("%s %d", name, n))
		}
	}
	return total, errs, distinct, strings.Join(names, ", "), nil
}
