package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// batch gathers the samples of one scrape. Samples of one name and the
// same label values are added up (two rules of one name, say, after a
// reload), so that a scrape never holds a sample twice.
type batch struct {
	index   map[string]int
	samples []sample
}

type sample struct {
	name, help    string
	typ           prometheus.ValueType
	names, values []string
	value         float64
}

func newBatch() *batch { return &batch{index: map[string]int{}} }

func (b *batch) counter(name, help string, v float64, labels ...string) {
	b.add(prometheus.CounterValue, name, help, v, labels)
}

func (b *batch) gauge(name, help string, v float64, labels ...string) {
	b.add(prometheus.GaugeValue, name, help, v, labels)
}

// add records a sample; labels alternate names and values. A label name
// given twice keeps its first value.
func (b *batch) add(typ prometheus.ValueType, name, help string, v float64, labels []string) {
	var names, values []string
	var key strings.Builder
	key.WriteString(name)
	for i := 0; i+1 < len(labels); i += 2 {
		n, val := labels[i], labelValue(labels[i+1])
		dup := false
		for _, have := range names {
			dup = dup || have == n
		}
		if dup {
			continue
		}
		names, values = append(names, n), append(values, val)
		key.WriteString("\xff" + n + "\xfe" + val)
	}
	if i, ok := b.index[key.String()]; ok {
		b.samples[i].value += v
		return
	}
	b.index[key.String()] = len(b.samples)
	b.samples = append(b.samples, sample{name: name, help: help, typ: typ, names: names, values: values, value: v})
}

// send hands every sample to ch; one that cannot be made a metric is sent
// as an invalid metric, which the registry reports and leaves out.
func (b *batch) send(ch chan<- prometheus.Metric) {
	for _, s := range b.samples {
		desc := prometheus.NewDesc(s.name, s.help, s.names, nil)
		m, err := prometheus.NewConstMetric(desc, s.typ, s.value, s.values...)
		if err != nil {
			m = prometheus.NewInvalidMetric(desc, err)
		}
		ch <- m
	}
}
