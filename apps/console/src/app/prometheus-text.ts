import type { Histogram } from '../shared/histogram-quantile';

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// Prometheus text exposition format: one sample per line; comments skipped.
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL))
      labels[label[1]] = label[2];
    const raw = match[3];
    const value =
      raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    samples.push({ name: match[1], labels, value });
  }
  return samples;
}

// One histogram summed over every label but "le" (say, over all decisions).
export function sumHistogram(samples: Sample[], name: string): Histogram {
  const byBound = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const sample of samples) {
    if (sample.name === `${name}_bucket`) {
      const le =
        sample.labels['le'] === '+Inf' ? Infinity : Number(sample.labels['le']);
      byBound.set(le, (byBound.get(le) ?? 0) + sample.value);
    } else if (sample.name === `${name}_count`) count += sample.value;
    else if (sample.name === `${name}_sum`) sum += sample.value;
  }
  const buckets = [...byBound.entries()].sort((a, b) => a[0] - b[0]);
  return { buckets, count, sum };
}
