import {
  histogramDelta,
  histogramQuantile,
} from '../shared/histogram-quantile';
import { parsePrometheusText, sumHistogram } from './prometheus-text';

const text = `# HELP gateway_request_duration_seconds Time
# TYPE gateway_request_duration_seconds histogram
gateway_request_duration_seconds_bucket{le="0.01",decision="forwarded"} 80
gateway_request_duration_seconds_bucket{le="0.1",decision="forwarded"} 98
gateway_request_duration_seconds_bucket{le="+Inf",decision="forwarded"} 100
gateway_request_duration_seconds_sum{decision="forwarded"} 1.5
gateway_request_duration_seconds_count{decision="forwarded"} 100
gateway_request_duration_seconds_bucket{le="0.01",decision="blocked"} 0
gateway_request_duration_seconds_bucket{le="0.1",decision="blocked"} 0
gateway_request_duration_seconds_bucket{le="+Inf",decision="blocked"} 0
gateway_request_duration_seconds_sum{decision="blocked"} 0
gateway_request_duration_seconds_count{decision="blocked"} 0
gateway_requests_total{decision="forwarded"} 100
`;

describe('latency from /metrics (O-1)', () => {
  it('sums the histogram over decisions and interpolates quantiles', () => {
    const histogram = sumHistogram(
      parsePrometheusText(text),
      'gateway_request_duration_seconds',
    );
    expect(histogram).toEqual({
      buckets: [
        [0.01, 80],
        [0.1, 98],
        [Infinity, 100],
      ],
      count: 100,
      sum: 1.5,
    });
    // Rank 50 of 80 in the first bucket: 0.01 * 50/80.
    expect(histogramQuantile(0.5, histogram)).toBeCloseTo(0.00625);
    // Rank 99 is in +Inf: the highest finite bound.
    expect(histogramQuantile(0.99, histogram)).toBe(0.1);
    expect(
      histogramQuantile(0.5, { buckets: [], count: 0, sum: 0 }),
    ).toBeNull();
  });

  it('takes the window between two snapshots, or all of it after a restart', () => {
    const before = {
      buckets: [
        [1, 2],
        [Infinity, 2],
      ] as [number, number][],
      count: 2,
      sum: 1,
    };
    const now = {
      buckets: [
        [1, 5],
        [Infinity, 6],
      ] as [number, number][],
      count: 6,
      sum: 4,
    };
    expect(histogramDelta(now, before)).toEqual({
      buckets: [
        [1, 3],
        [Infinity, 4],
      ],
      count: 4,
      sum: 3,
    });
    expect(histogramDelta(before, now)).toBe(before);
  });
});
