package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/seccomp"
)

func seccompLogCommand() *cli.Command {
	return &cli.Command{
		Name:  "seccomp-log",
		Usage: "read the kernel's seccomp records from stdin and say which syscalls to allow",
		Description: `Reads kernel log lines on stdin, keeps the seccomp records (audit type=1326,
written for the log action, for kills, and for every refusal under
"fsviews run --seccomp-log"), names their syscalls, and prints per program
which syscalls its filter refused or logged, then the allow line that would
let them through. Read it before pasting: some refusals are the filter doing
its job.

Examples:
   fsviews run --seccomp-log /etc/fsviews/web.toml      # exercise the daemon, then:
   journalctl -k -g type=1326 | fsviews seccomp-log --exe /usr/sbin/nginx
   dmesg | fsviews seccomp-log --pid 4242`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "pid", Usage: "only records of process `PID`"},
			&cli.StringFlag{Name: "exe", Usage: "only records of the program at `PATH` (as seen inside the view)"},
		},
		Action: func(c *cli.Context) error {
			if _, _, err := splitArgs(c); err != nil {
				return err
			}
			return summarizeSeccompLog(os.Stdin, os.Stdout, c.Int("pid"), c.String("exe"))
		},
	}
}

// summarizeSeccompLog prints what seccomp-log promises.
func summarizeSeccompLog(in io.Reader, out io.Writer, pid int, exe string) error {
	type key struct{ exe, syscall, abi, action string }
	counts := map[key]int{}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	records := 0
	others := map[string]bool{} // programs whose records --pid or --exe left out
	for sc.Scan() {
		r, ok := seccomp.ParseLogRecord(sc.Text())
		if !ok {
			continue
		}
		if (pid != 0 && r.PID != pid) || (exe != "" && r.Exe != exe) {
			others[fmt.Sprintf("%s (pid %d)", r.Exe, r.PID)] = true
			continue
		}
		records++
		name, abi, _ := r.Syscall()
		action := "?"
		if !r.Action.IsZero() {
			action = r.Action.String()
		}
		counts[key{r.Exe, name, abi, action}]++
	}
	if err := sc.Err(); err != nil {
		return cli.Exit(fmt.Sprintf("fsviews seccomp-log: read stdin: %v", err), 1)
	}
	if records == 0 && len(others) > 0 {
		names := make([]string, 0, len(others))
		for n := range others {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(out, "# no seccomp records for %s on stdin; there are records for other programs: %s (--exe takes the path as the jail sees it)\n",
			selection(pid, exe), strings.Join(names, ", "))
		return nil
	}
	if records == 0 {
		fmt.Fprintln(out, "# no seccomp records (type=1326) on stdin: pipe in `journalctl -k -g type=1326` or `dmesg`")
		return nil
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.exe != b.exe {
			return a.exe < b.exe
		}
		if a.abi != b.abi {
			return a.abi < b.abi
		}
		return a.syscall < b.syscall
	})
	fmt.Fprintf(out, "# %d seccomp record%s\n", records, plural(records))
	var allow, notes []string
	seen := map[string]bool{}
	exeSeen := ""
	for _, k := range keys {
		if k.exe != exeSeen || exeSeen == "" {
			fmt.Fprintf(out, "%s:\n", k.exe)
			exeSeen = k.exe
		}
		fmt.Fprintf(out, "  %-24s %-8s %s x%d\n", k.syscall, k.abi, k.action, counts[k])
		switch {
		case strings.HasPrefix(k.syscall, "syscall "):
			notes = append(notes, fmt.Sprintf("# %s (%s) is newer than fsviews' syscall table: the filter refuses it by number", k.syscall, k.abi))
		case k.abi == "x32" || k.abi == "i386":
			notes = append(notes, fmt.Sprintf("# %s came through the %s ABI: allow_%s = true under [seccomp] lets that ABI through", k.syscall, k.abi, k.abi))
		case !seen[k.syscall]:
			seen[k.syscall] = true
			allow = append(allow, fmt.Sprintf("%q", k.syscall))
		}
	}
	sort.Strings(allow)
	if len(allow) > 0 {
		fmt.Fprintf(out, "# to allow them, under [seccomp]:\nallow = [%s]\n", strings.Join(allow, ", "))
	}
	printed := map[string]bool{}
	for _, n := range notes {
		if !printed[n] {
			printed[n] = true
			fmt.Fprintln(out, n)
		}
	}
	return nil
}

// selection says which records --pid and --exe ask for.
func selection(pid int, exe string) string {
	var s []string
	if exe != "" {
		s = append(s, exe)
	}
	if pid != 0 {
		s = append(s, fmt.Sprintf("pid %d", pid))
	}
	return strings.Join(s, " ")
}
