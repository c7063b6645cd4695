package lang

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
)

// wellKnownPorts is used when /etc/services is missing or lacks a name.
var wellKnownPorts = map[string]uint16{
	"ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "http": 80,
	"pop3": 110, "ntp": 123, "imap": 143, "snmp": 161, "ldap": 389, "https": 443,
	"smtps": 465, "submission": 587, "ldaps": 636, "imaps": 993, "pop3s": 995,
	"mysql": 3306, "postgresql": 5432, "redis": 6379, "http-alt": 8080,
}

var services struct {
	once sync.Once
	m    map[string]uint16
}

// servicePort resolves a service name to its port, as getservbyname does.
func servicePort(name string) (uint16, bool) {
	services.once.Do(func() {
		services.m = make(map[string]uint16)
		f, err := os.Open("/etc/services")
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line, _, _ := strings.Cut(sc.Text(), "#")
			fs := strings.Fields(line)
			if len(fs) < 2 {
				continue
			}
			p, _, _ := strings.Cut(fs[1], "/")
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil {
				continue
			}
			for _, name := range append([]string{fs[0]}, fs[2:]...) {
				if _, dup := services.m[name]; !dup {
					services.m[name] = uint16(n)
				}
			}
		}
	})
	if p, ok := services.m[name]; ok {
		return p, true
	}
	p, ok := wellKnownPorts[name]
	return p, ok
}
