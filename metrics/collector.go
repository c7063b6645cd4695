package metrics

import (
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/ruleset"
)

// statsCollector turns engine.Stats into metrics when Prometheus scrapes:
// Lanner's names and Falco's. It describes nothing in advance (an
// unchecked collector), because Falco's rule counter carries a label per
// tag of each rule, so its label names differ from rule to rule.
type statsCollector struct {
	stats         func() engine.Stats
	build         BuildInfo
	start         time.Time
	kernelRelease string
}

func newStatsCollector(stats func() engine.Stats, build BuildInfo) *statsCollector {
	c := &statsCollector{stats: stats, build: build, start: processStart()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		c.kernelRelease = strings.TrimSpace(string(b))
	}
	return c
}

// Describe describes nothing: see statsCollector.
func (c *statsCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the stats once and sends every sample.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	var s engine.Stats
	if c.stats != nil {
		s = c.stats()
	}
	b := newBatch()
	b.gauge("lanner_build_info", "Lanner's version, commit and build date (always 1).", 1,
		"version", c.build.Version, "commit", c.build.Commit, "build_date", c.build.Date, "goversion", runtime.Version())
	lannerSamples(b, s)
	c.falcoSamples(b, s)
	b.send(ch)
}

// lannerSamples adds Lanner's own counters, under the names they have
// always had. Sinks are named by output.SinkStats.Name, which never holds
// a credential, a URL's query or a program's arguments.
func lannerSamples(b *batch, s engine.Stats) {
	b.counter("lanner_records_total", "Records read from the collector.", float64(s.Records), "collector", s.Collector)
	for _, t := range sortedKeys(s.ByType) {
		b.counter("lanner_events_total", "Syscall events run through the rules, by event type.", float64(s.ByType[t]),
			"collector", s.Collector, "type", t)
	}
	b.counter("lanner_kernel_drops_total", "Records the kernel could not deliver.", float64(s.KernelDrops), "collector", s.Collector)
	for _, t := range sortedKeys(s.KernelDropsByType) {
		b.counter("lanner_kernel_drops_by_type_total", "Records the kernel could not deliver, by event type (fork, exec and procexit for process records), for collectors that can tell.",
			float64(s.KernelDropsByType[t]), "collector", s.Collector, "type", t)
	}
	b.counter("lanner_malformed_records_total", "Records that could not be decoded.", float64(s.Malformed), "collector", s.Collector)
	b.counter("lanner_unresolved_paths_total", "Relative paths reported as passed: the directory they were relative to could not be established.",
		float64(s.Unresolved), "collector", s.Collector)
	b.counter("lanner_unknown_process_events_total", "Events whose process was not known.", float64(s.NoProcess))
	for _, r := range s.ByRule {
		b.counter("lanner_alerts_total", "Alerts raised, by rule and priority.", float64(r.Count), "rule", r.Rule, "priority", r.Priority)
	}
	b.counter("lanner_own_alerts_dropped_total", "Notices and self-check verdicts not turned into alerts (over their burst, or after the stop).", float64(s.Own.Dropped))
	if sc := s.Own.SelfCheck; sc.Enabled {
		b.counter("lanner_self_check_probes_total", "Self-check probes started.", float64(sc.Probes), "collector", sc.Collector)
		b.counter("lanner_self_check_failures_total", "Self-check probes whose events the collector did not deliver in time.", float64(sc.Failures), "collector", sc.Collector)
		b.counter("lanner_self_check_errors_total", "Self-check probes that could not be run.", float64(sc.Errors), "collector", sc.Collector)
		healthy := 0.0
		if sc.Healthy {
			healthy = 1
		}
		b.gauge("lanner_collector_healthy", "1 while the self-check finds the collector delivering events, else 0.", healthy, "collector", sc.Collector)
	}
	b.counter("lanner_alerts_suppressed_total", "Alerts over a rule's rate limit, not sent.", float64(s.Suppressed))
	for _, k := range s.Sinks {
		b.counter("lanner_sink_sent_total", "Alerts delivered, by sink.", float64(k.Sent), "sink", k.Name)
		b.counter("lanner_sink_failed_total", "Alerts a sink failed to deliver.", float64(k.Failed), "sink", k.Name)
		b.counter("lanner_sink_dropped_total", "Alerts dropped because a sink's queue was full.", float64(k.Dropped), "sink", k.Name)
		b.counter("lanner_sink_lost_total", "Alerts a sink still held when the shutdown deadline ran out.", float64(k.Lost), "sink", k.Name)
	}
	t := s.Tables
	b.gauge("lanner_processes", "Processes in the process table.", float64(t.Processes))
	b.gauge("lanner_containers", "Containers in the container table.", float64(t.Containers))
	const lookups = "Process table lookups, by result."
	b.counter("lanner_process_table_lookups_total", lookups, float64(t.Hits), "result", "hit")
	b.counter("lanner_process_table_lookups_total", lookups, float64(t.Misses), "result", "miss")
	const evictions = "Entries evicted from a bounded table."
	b.counter("lanner_table_evictions_total", evictions, float64(t.ProcessEvictions), "table", "process")
	b.counter("lanner_table_evictions_total", evictions, float64(t.ContainerEvictions), "table", "container")
	m := s.Metadata
	const meta = "Container runtime lookups, by result (timeout is also counted as failed)."
	b.counter("lanner_container_metadata_lookups_total", meta, float64(m.Found), "result", "found")
	b.counter("lanner_container_metadata_lookups_total", meta, float64(m.NotFound), "result", "not_found")
	b.counter("lanner_container_metadata_lookups_total", meta, float64(m.Failed), "result", "failed")
	b.counter("lanner_container_metadata_lookups_total", meta, float64(m.Timeouts), "result", "timeout")
	b.counter("lanner_container_metadata_lookups_total", meta, float64(m.QueueFull), "result", "queue_full")
	b.counter("lanner_container_metadata_wait_timeouts_total", "Containers whose events stopped waiting for their metadata.", float64(s.MetadataTimeouts))
	b.counter("lanner_container_starts_total", "Container start events.", float64(s.ContainerStarts))
	b.counter("lanner_rules_reloads_total", "Rule sets put in force by a reload (SIGHUP or a rules file changed).", float64(s.RulesReloads))
	b.counter("lanner_rules_reload_failures_total", "Reloads refused because the rules files did not load; the rules in force stayed.", float64(s.RulesReloadFailures))
	b.counter("lanner_rule_eval_seconds_total", "Time spent evaluating rules.", s.EvalTime.Seconds())
	ready, _ := Readiness(s)
	b.gauge("lanner_ready", "1 while the engine reads the collector (as /readyz answers 200), else 0.", boolValue(ready))
}

// falcoHelp is the help text of Falco's metrics, as Falco writes it.
const falcoHelp = "https://falco.org/docs/metrics/"

// falcoSamples adds the counters Falco has too, under Falco's names and
// labels (Falco 0.41 and later).
func (c *statsCollector) falcoSamples(b *batch, s engine.Stats) {
	b.gauge("falcosecurity_falco_version_info", falcoHelp, 1, "version", c.build.Version)
	if c.kernelRelease != "" {
		b.gauge("falcosecurity_falco_kernel_release_info", falcoHelp, 1, "kernel_release", c.kernelRelease)
	}
	if s.Hostname != "" {
		b.gauge("falcosecurity_evt_hostname_info", falcoHelp, 1, "hostname", s.Hostname)
	}
	if s.Collector != "" {
		b.gauge("falcosecurity_scap_engine_name_info", falcoHelp, 1, "engine_name", s.Collector, "evt_source", "syscall")
	}
	b.gauge("falcosecurity_falco_start_timestamp_nanoseconds", falcoHelp, float64(c.start.UnixNano()))
	b.counter("falcosecurity_falco_duration_seconds_total", falcoHelp, float64(int64(time.Since(c.start).Seconds())))
	b.gauge("falcosecurity_falco_host_num_cpus_total", falcoHelp, float64(runtime.NumCPU()))
	var queueDrops uint64
	for _, k := range s.Sinks {
		queueDrops += k.Dropped
	}
	b.counter("falcosecurity_falco_outputs_queue_num_drops_total", falcoHelp, float64(queueDrops))
	for _, r := range s.ByRule {
		if r.Source == engine.OwnSource {
			continue
		}
		labels := []string{"rule_name", r.Rule, "priority", strconv.Itoa(int(r.Level)), "source", r.Source}
		for _, tag := range r.Tags {
			labels = append(labels, tagLabel(tag), "true")
		}
		b.counter("falcosecurity_falco_rules_matches_total", falcoHelp, float64(r.Count), labels...)
	}
	if s.Collector != "" {
		b.counter("falcosecurity_scap_n_evts_total", falcoHelp, float64(s.Records))
		b.counter("falcosecurity_scap_n_drops_total", falcoHelp, float64(s.KernelDrops))
		byDrop := map[string]uint64{}
		for t, n := range s.KernelDropsByType {
			byDrop[falcoDropCategory(t)] += n
		}
		for _, d := range falcoDropCategories {
			b.counter("falcosecurity_scap_n_drops_buffer_total", falcoHelp, float64(byDrop[d]), "dir", "exit", "drop", d)
		}
		// Falco keeps these at 0 since its drivers stopped sending
		// enter events; so does Lanner, which never sends them.
		for _, d := range falcoEnterDropCategories {
			b.counter("falcosecurity_scap_n_drops_buffer_total", falcoHelp, 0, "dir", "enter", "drop", d)
		}
	}
	b.gauge("falcosecurity_scap_n_containers_total", falcoHelp, float64(s.Tables.Containers))
	if u, ok := selfUsage(); ok {
		b.gauge("falcosecurity_falco_memory_rss_bytes", falcoHelp, u.rss)
		b.gauge("falcosecurity_falco_memory_vsz_bytes", falcoHelp, u.vsz)
		if d := time.Since(c.start).Seconds(); d > 0 {
			b.gauge("falcosecurity_falco_cpu_usage_ratio", falcoHelp, u.cpuSeconds/d)
		}
	}
}

// falcoDropCategories are the kinds of event whose kernel buffer drops
// Falco counts apart (falcosecurity_scap_n_drops_buffer_total's drop
// label, dir="exit"); falcoEnterDropCategories those it still lists with
// dir="enter".
var (
	falcoDropCategories      = []string{"clone_fork", "execve", "connect", "open", "dir_file", "other_interest", "close", "proc"}
	falcoEnterDropCategories = []string{"clone_fork", "execve", "connect", "open", "dir_file", "other_interest"}
)

// falcoDropCategory is the Falco drop category of an event type named as
// collectors.Stats.KernelDropsByType names them.
func falcoDropCategory(t string) string {
	switch t {
	case "fork", "vfork", "clone", "clone3":
		return "clone_fork"
	case "exec", "execve", "execveat":
		return "execve"
	case "connect":
		return "connect"
	case "open", "openat", "openat2", "creat":
		return "open"
	case "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
		"link", "linkat", "symlink", "symlinkat":
		return "dir_file"
	case "close":
		return "close"
	case "procexit":
		return "proc"
	}
	return "other_interest"
}

// tagLabel is the label Falco gives a rule's tag: tag_ and the tag, with
// every character a Prometheus label name cannot hold replaced by _.
func tagLabel(tag string) string {
	var sb strings.Builder
	sb.WriteString("tag_")
	for _, r := range tag {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
	}
	return sb.String()
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// labelValue makes v a label value that shows as it is in an alert line:
// control characters and invalid UTF-8 are made visible (\x1b, \n,
// \u0085; see ruleset.AppendControlsEscaped), so a value can neither
// break the scrape nor reach a terminal raw; client_golang then escapes
// backslashes and double quotes as the exposition format wants.
func labelValue(v string) string {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f {
			return string(ruleset.AppendControlsEscaped(nil, []byte(v)))
		}
	}
	return v
}
