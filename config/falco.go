package config

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Falco's configuration file (falco.yaml) is accepted by --config beside
// Lanner's own keys: each Falco key for something Lanner does is turned
// into the flag of run that does it; a Falco key for something Lanner does
// not do gives one warning with its line and is ignored. A key that is
// neither Lanner's nor Falco's is an error (a typo must not pass silently).

// configKey is a key of a configuration file, dotted for nested keys, with
// the line it is on (0 for a key set by -o).
type configKey struct {
	name string
	line int
}

// where names a key's place: FILE:LINE, or -o.
func (k configKey) where(path string) string {
	if k.line == 0 {
		return "-o " + k.name
	}
	return fmt.Sprintf("%s:%d", path, k.line)
}

// falcoTranslation turns Falco keys into run's flags.
type falcoTranslation struct {
	path   string
	lines  map[string]int
	values map[string]any // run's flags, by name with underscores
	// origin maps each flag of values to the Falco key that set it (its
	// top-level key), for the line of an error about its value.
	origin   map[string]string
	warnings []string
	errs     []string // values of the wrong type
}

func (ft *falcoTranslation) key(name string) configKey {
	return configKey{name: name, line: ft.lines[name]}
}

// unsupported records that Lanner ignores a key.
func (ft *falcoTranslation) unsupported(name, why string) {
	k := ft.key(name)
	msg := fmt.Sprintf("config %s: warning: %s is not supported by Lanner; ignored", k.where(ft.path), name)
	if why != "" {
		msg += " (" + why + ")"
	}
	ft.warnings = append(ft.warnings, msg)
}

// falcoUnsupportedKeys are Falco's top-level keys for what Lanner does not
// do (plugins, gRPC, its own logging, driver tuning...).
var falcoUnsupportedKeys = map[string]string{
	"load_plugins": "no plugins", "plugins": "no plugins", "plugins_hostinfo": "no plugins",
	"grpc": "no gRPC server", "grpc_output": "no gRPC output",
	"log_stderr": "Lanner logs to standard error", "log_syslog": "Lanner logs to standard error",
	"libs_logger": "", "output_timeout": "sinks have their own timeouts and queues",
	"outputs_queue": "each sink has a bounded queue", "syscall_event_timeouts": "",
	"syscall_event_drops": "losses are counted in the stats and /metrics", "syscall_buf_size_preset": "",
	"syscall_drop_failed_exit": "", "base_syscalls": "", "modern_bpf": "", "metadata_download": "",
	"engine": "the collector is chosen by --collector", "falco_libs": "", "container_engines": "",
	"config_files": "", "append_output": "", "static_fields": "", "capture": "", "rules": "use enable-rule, disable-rule, enable-tag, disable-tag",
	"json_include_message_property": "", "json_include_output_fields_property": "", "k8s_api": "", "k8s_api_cert": "",
	"k8s_audit_endpoint": "", "webserver_listen_port": "", "cri": "", "cri_timeout": "",
	"log_syslog_level": "", "stats_interval": "", "falco_libs_thread_table_size": "",
}

// falcoHandlers translate the Falco keys for what Lanner does.
var falcoHandlers = map[string]func(ft *falcoTranslation, v any){
	"rules_file":  (*falcoTranslation).rulesFiles,
	"rules_files": (*falcoTranslation).rulesFiles,
	"priority": func(ft *falcoTranslation, v any) {
		ft.values["min_priority"] = fmt.Sprint(v)
	},
	"rule_matching": func(ft *falcoTranslation, v any) { ft.values["rule_matching"] = fmt.Sprint(v) },
	"json_output": func(ft *falcoTranslation, v any) {
		if b, ok := ft.boolean("json_output", v); ok {
			ft.values["output"] = map[bool]string{true: "json", false: "text"}[b]
		}
	},
	"json_include_output_property": func(ft *falcoTranslation, v any) {
		ft.flagBool("json_include_output_property", "json_output_property", v)
	},
	"json_include_tags_property": func(ft *falcoTranslation, v any) {
		ft.flagBool("json_include_tags_property", "json_tags_property", v)
	},
	"time_format_iso_8601": func(ft *falcoTranslation, v any) { ft.flagBool("time_format_iso_8601", "time_iso8601", v) },
	// Lanner writes each alert to its sinks as it is raised.
	"buffered_outputs": func(ft *falcoTranslation, v any) {},
	// The rules files are reloaded when they change unless this is false
	// (the configuration file itself is not).
	"watch_config_files": func(ft *falcoTranslation, v any) { ft.flagBool("watch_config_files", "watch_rules", v) },
	"outputs":            (*falcoTranslation).outputs,
	"stdout_output":      (*falcoTranslation).stdoutOutput,
	"syslog_output":      (*falcoTranslation).syslogOutput,
	"file_output":        (*falcoTranslation).fileOutput,
	"program_output":     (*falcoTranslation).programOutput,
	"http_output":        (*falcoTranslation).httpOutput,
	"webserver":          (*falcoTranslation).webserver,
	"metrics":            (*falcoTranslation).metrics,
}

// isFalcoKey reports whether a top-level key is one of Falco's.
func isFalcoKey(k string) bool {
	_, h := falcoHandlers[k]
	_, u := falcoUnsupportedKeys[k]
	return h || u
}

// translate turns the Falco keys of raw into run's flags, in the order of
// their lines. A key that is also one of run's flags (known, by name with
// dashes) is Lanner's, and left alone.
func (ft *falcoTranslation) translate(raw map[string]any, known map[string]bool) {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		if isFalcoKey(k) && !known[strings.ReplaceAll(k, "_", "-")] {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		li, lj := ft.lines[keys[i]], ft.lines[keys[j]]
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	ft.origin = map[string]string{}
	for _, k := range keys {
		if h, ok := falcoHandlers[k]; ok {
			before := make(map[string]bool, len(ft.values))
			for f := range ft.values {
				before[f] = true
			}
			h(ft, raw[k])
			for f := range ft.values {
				if !before[f] {
					ft.origin[f] = k
				}
			}
			continue
		}
		ft.unsupported(k, falcoUnsupportedKeys[k])
	}
}

func (ft *falcoTranslation) boolean(name string, v any) (bool, bool) {
	switch b := v.(type) {
	case bool:
		return b, true
	case string:
		if p, err := strconv.ParseBool(b); err == nil {
			return p, true
		}
	case nil:
		return false, true
	}
	ft.errs = append(ft.errs, fmt.Sprintf("%s: want true or false, got %v", name, v))
	return false, false
}

func (ft *falcoTranslation) flagBool(name, flag string, v any) {
	if b, ok := ft.boolean(name, v); ok {
		ft.values[flag] = b
	}
}

// section returns a Falco section's map, recording an error when it is not
// one, and whether it is enabled: its enabled key, else Falco's default
// for it.
func (ft *falcoTranslation) section(name string, v any, enabledByDefault bool) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		if v != nil {
			ft.errs = append(ft.errs, fmt.Sprintf("%s: want a mapping, got %v", name, v))
		}
		return nil, false
	}
	on := enabledByDefault
	if e, has := m["enabled"]; has {
		on, _ = ft.boolean(name+".enabled", e)
	}
	return m, on
}

// subkeys checks that every key of a section is known: accepted ones are
// handled by the caller; the ignored ones of an enabled section warn.
func (ft *falcoTranslation) subkeys(name string, m map[string]any, on bool, known ...string) {
	if !on {
		return
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if k == "enabled" || hasString(known, k) {
			continue
		}
		ft.unsupported(name+"."+k, "")
	}
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (ft *falcoTranslation) rulesFiles(v any) {
	var files []string
	switch x := v.(type) {
	case string:
		files = []string{x}
	case []any:
		for _, f := range x {
			files = append(files, fmt.Sprint(f))
		}
	}
	if len(files) > 0 {
		ft.values["rules_file"] = files
	}
}

func (ft *falcoTranslation) outputs(v any) {
	m, _ := ft.section("outputs", v, true)
	if m == nil {
		return
	}
	if r, ok := m["rate"]; ok {
		ft.values["rate"] = r
	}
	if b, ok := m["max_burst"]; ok {
		ft.values["max_burst"] = b
	}
	ft.subkeys("outputs", m, true, "rate", "max_burst")
}

func (ft *falcoTranslation) stdoutOutput(v any) {
	m, on := ft.section("stdout_output", v, true)
	if m != nil {
		ft.values["stdout"] = on
	}
}

func (ft *falcoTranslation) syslogOutput(v any) {
	if m, on := ft.section("syslog_output", v, true); m != nil && on {
		ft.appendList("syslog", "local")
		ft.subkeys("syslog_output", m, on)
	}
}

func (ft *falcoTranslation) appendList(flag, v string) {
	l, _ := ft.values[flag].([]string)
	ft.values[flag] = append(l, v)
}

func (ft *falcoTranslation) fileOutput(v any) {
	m, on := ft.section("file_output", v, false)
	if m == nil || !on {
		return
	}
	if f, ok := m["filename"]; ok {
		ft.values["out_file"] = fmt.Sprint(f)
	}
	ft.subkeys("file_output", m, on, "filename", "keep_alive")
}

func (ft *falcoTranslation) programOutput(v any) {
	m, on := ft.section("program_output", v, false)
	if m == nil || !on {
		return
	}
	if p, ok := m["program"]; ok {
		ft.appendList("program", fmt.Sprint(p))
	}
	ft.subkeys("program_output", m, on, "program", "keep_alive")
}

func (ft *falcoTranslation) httpOutput(v any) {
	m, on := ft.section("http_output", v, false)
	if m == nil || !on {
		return
	}
	str := func(k string) string {
		if s, ok := m[k]; ok && s != nil {
			return fmt.Sprint(s)
		}
		return ""
	}
	if u := str("url"); u != "" {
		ft.appendList("http_url", u)
	}
	if ua := str("user_agent"); ua != "" {
		ft.appendList("http_header", "User-Agent: "+ua)
	}
	if h, ok := m["headers"]; ok {
		switch hs := h.(type) {
		case map[string]any:
			names := make([]string, 0, len(hs))
			for k := range hs {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				ft.appendList("http_header", k+": "+fmt.Sprint(hs[k]))
			}
		case []any:
			for _, x := range hs {
				ft.appendList("http_header", fmt.Sprint(x))
			}
		}
	}
	if i, ok := m["insecure"]; ok {
		ft.flagBool("http_output.insecure", "http_insecure", i)
	}
	switch {
	case str("ca_cert") != "":
		ft.values["http_ca_file"] = str("ca_cert")
	case str("ca_bundle") != "":
		ft.values["http_ca_file"] = str("ca_bundle")
	}
	known := []string{"url", "user_agent", "headers", "insecure", "ca_cert", "ca_bundle", "mtls", "client_cert", "client_key", "keep_alive"}
	// ca_path is the system's store by default, which Lanner uses too.
	if p := strings.TrimRight(str("ca_path"), "/"); p == "" || p == "/etc/ssl/certs" {
		known = append(known, "ca_path")
	}
	if b, _ := ft.boolean("http_output.mtls", m["mtls"]); b {
		ft.values["http_cert_file"] = str("client_cert")
		ft.values["http_key_file"] = str("client_key")
	}
	for _, k := range []string{"echo", "compress_uploads"} {
		if b, _ := ft.boolean("http_output."+k, m[k]); !b {
			known = append(known, k)
		}
	}
	ft.subkeys("http_output", m, on, known...)
}

func (ft *falcoTranslation) webserver(v any) {
	m, on := ft.section("webserver", v, true)
	if m == nil || !on {
		return
	}
	// Falco's webserver listens on all addresses by default; Lanner's
	// /metrics and /healthz on the loopback unless an address is given.
	host, port := "127.0.0.1", "8765"
	if a, ok := m["listen_address"]; ok && a != nil {
		host = fmt.Sprint(a)
	}
	if p, ok := m["listen_port"]; ok && p != nil {
		port = fmt.Sprint(p)
	}
	ft.values["metrics_addr"] = net.JoinHostPort(host, port)
	known := []string{"listen_address", "listen_port", "threadiness", "prometheus_metrics_enabled", "ssl_certificate"}
	if e, ok := m["k8s_healthz_endpoint"]; !ok || fmt.Sprint(e) == "/healthz" {
		known = append(known, "k8s_healthz_endpoint")
	}
	if b, _ := ft.boolean("webserver.ssl_enabled", m["ssl_enabled"]); !b {
		known = append(known, "ssl_enabled")
	}
	ft.subkeys("webserver", m, on, known...)
}

func (ft *falcoTranslation) metrics(v any) {
	m, on := ft.section("metrics", v, false)
	if m == nil || !on {
		return
	}
	known := []string{"interval"}
	if i, ok := m["interval"]; ok {
		d, err := time.ParseDuration(fmt.Sprint(i))
		if err != nil {
			ft.errs = append(ft.errs, fmt.Sprintf("metrics.interval: %v", err))
		} else {
			ft.values["stats_interval"] = d.String()
		}
	}
	ft.subkeys("metrics", m, on, known...)
}

// keyLines maps the keys of a configuration file's top-level mapping, and
// those of the mappings in it ("a.b"), to their lines.
func keyLines(body ast.Node) map[string]int {
	lines := map[string]int{}
	walk := func(n ast.Node, prefix string, deeper func(ast.Node, string)) {
		mn, ok := n.(ast.MapNode)
		if !ok {
			return
		}
		it := mn.MapRange()
		for it.Next() {
			k := it.Key()
			name := prefix + strings.Trim(k.String(), `"'`)
			if tk := k.GetToken(); tk != nil && tk.Position != nil {
				lines[name] = tk.Position.Line
			}
			if deeper != nil {
				deeper(it.Value(), name+".")
			}
		}
	}
	walk(body, "", func(n ast.Node, prefix string) { walk(n, prefix, nil) })
	return lines
}

// applyOverride sets key=value (falco -o) in raw: a dotted key names a
// nested key; key[]=value appends to a list. The value is read as YAML.
func applyOverride(raw map[string]any, o string) error {
	k, v, ok := strings.Cut(o, "=")
	if !ok || k == "" {
		return fmt.Errorf("-o %q: want key=value", o)
	}
	var val any
	if err := yaml.Unmarshal([]byte(v), &val); err != nil {
		val = v
	}
	appendTo := strings.HasSuffix(k, "[]")
	k = strings.TrimSuffix(k, "[]")
	parts := strings.Split(k, ".")
	m := raw
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	last := parts[len(parts)-1]
	if appendTo {
		switch cur := m[last].(type) {
		case []any:
			m[last] = append(cur, val)
		case nil:
			m[last] = []any{val}
		default:
			m[last] = []any{cur, val}
		}
		return nil
	}
	m[last] = val
	return nil
}
