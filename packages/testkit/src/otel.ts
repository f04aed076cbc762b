// An OpenTelemetry meter provider whose metrics a test reads back. The SDK module is passed in, not
// imported: core's tests use @opentelemetry/sdk-metrics 2.x (3.x needs Node >= 22.15; core's unit tests
// run on Node 20 too), @fluxrate/redis's use 3.x (its Prometheus exporter's); the two are shaped alike.

/** A metric as the SDK exports it: at least its descriptor's name. */
interface Metric {
  descriptor: { name: string };
}

/** The parts of `@opentelemetry/sdk-metrics` (2.x or 3.x) this helper uses. */
export interface SdkMetrics<Temporality, Exporter, Reader, Provider> {
  AggregationTemporality: { CUMULATIVE: Temporality };
  InMemoryMetricExporter: new (temporality: Temporality) => Exporter;
  PeriodicExportingMetricReader: new (options: {
    exporter: Exporter;
    exportIntervalMillis: number;
  }) => Reader;
  MeterProvider: new (options: { readers: Reader[] }) => Provider;
}

interface InMemoryExporter<M extends Metric> {
  getMetrics(): { scopeMetrics: { metrics: M[] }[] }[];
  reset(): void;
}

/** The metric type of an exporter: `MetricData` of the SDK passed in. */
type MetricOf<E> = E extends InMemoryExporter<infer M> ? M : never;

/**
 * A `MeterProvider` from `sdk` with an in-memory exporter (cumulative, exported only when asked), and
 * `collect()`: every metric recorded so far, by name (then the exporter is emptied).
 */
export function inMemoryMetrics<
  T,
  E extends InMemoryExporter<Metric>,
  R extends { forceFlush(): Promise<void> },
  P,
>(sdk: SdkMetrics<T, E, R, P>): { provider: P; collect(): Promise<Map<string, MetricOf<E>>> } {
  const exporter = new sdk.InMemoryMetricExporter(sdk.AggregationTemporality.CUMULATIVE);
  const reader = new sdk.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new sdk.MeterProvider({ readers: [reader] });
  const collect = async () => {
    await reader.forceFlush();
    const byName = new Map<string, MetricOf<E>>();
    for (const rm of exporter.getMetrics())
      for (const scope of rm.scopeMetrics)
        for (const m of scope.metrics) byName.set(m.descriptor.name, m as MetricOf<E>);
    exporter.reset();
    return byName;
  };
  return { provider, collect };
}
