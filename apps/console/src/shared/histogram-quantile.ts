// A Prometheus histogram: cumulative counts per upper bound ("le"), +Inf last.
export interface Histogram {
  buckets: [number, number][];
  count: number;
  sum: number;
}

// Like PromQL's histogram_quantile: linear interpolation inside the bucket holding the rank.
export function histogramQuantile(
  q: number,
  histogram: Histogram,
): number | null {
  const { buckets } = histogram;
  if (buckets.length === 0) return null;
  const total = buckets[buckets.length - 1][1];
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      // The +Inf bucket has no width: answer the highest finite bound.
      if (!Number.isFinite(bound)) return lowerBound;
      const inBucket = count - lowerCount;
      if (inBucket <= 0) return bound;
      return (
        lowerBound + (bound - lowerBound) * ((rank - lowerCount) / inBucket)
      );
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

// The observations between two snapshots of one cumulative histogram.
export function histogramDelta(
  now: Histogram,
  before: Histogram | null,
): Histogram {
  if (
    !before ||
    before.buckets.length !== now.buckets.length ||
    before.count > now.count
  )
    return now;
  return {
    buckets: now.buckets.map(([bound, count], i) => [
      bound,
      count - before.buckets[i][1],
    ]),
    count: now.count - before.count,
    sum: now.sum - before.sum,
  };
}
