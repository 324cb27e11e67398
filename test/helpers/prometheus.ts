// The worker's metrics endpoint as a scraper sees it: fetched over HTTP and parsed by the Prometheus
// project's own text-format parser (prometheus_client's, in Python: the npm parsers at hand drop the
// labels of labelled histograms), with the sums a test compares before and after a run.
import { execa } from 'execa';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  /** Family name → type (`counter`, `histogram`, `gauge`, …), as the parser read them. */
  types: Map<string, string>;
  /** Sum of the samples named `name` (a counter's `…_total`, a histogram's `…_count`) whose labels include `labels`. */
  value(name: string, labels?: Record<string, string>): number;
  /** A histogram's `_count` and `_sum` over the samples whose labels include `labels`. */
  histogram(name: string, labels?: Record<string, string>): { count: number; sum: number };
}

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]})
print(json.dumps(out))
`;

export async function parsePrometheusText(text: string): Promise<{ name: string; type: string; samples: Sample[] }[]> {
  const { stdout } = await execa('python3', ['-c', PARSE], { input: text });
  return JSON.parse(String(stdout)) as { name: string; type: string; samples: Sample[] }[];
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const families = await parsePrometheusText(await res.text());
  const samples = families.flatMap((f) => f.samples);
  const sum = (name: string, labels: Record<string, string>) => samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
  return {
    types: new Map(families.map((f) => [f.name, f.type])),
    value: (name, labels = {}) => sum(name, labels),
    histogram: (name, labels = {}) => ({ count: sum(`${name}_count`, labels), sum: sum(`${name}_sum`, labels) }),
  };
}
