/** The slice of `@opentelemetry/api` used here, typed locally: core never imports the package statically. */
type Attributes = Record<string, string>;
interface Counter {
  add(value: number, attributes?: Attributes): void;
}
interface Histogram {
  record(value: number, attributes?: Attributes): void;
}
interface ObservableResult {
  observe(value: number, attributes?: Attributes): void;
}
export interface Observable {
  addCallback(callback: (result: ObservableResult) => void): void;
}
interface BatchObservableResult {
  observe(observable: Observable, value: number, attributes?: Attributes): void;
}
interface InstrumentOptions {
  description?: string;
  unit?: string;
}
export interface OtelMeter {
  createCounter(name: string, options?: InstrumentOptions): Counter;
  createHistogram(name: string, options?: InstrumentOptions): Histogram;
  createObservableCounter(name: string, options?: InstrumentOptions): Observable;
  createObservableGauge(name: string, options?: InstrumentOptions): Observable;
  addBatchObservableCallback(
    callback: (result: BatchObservableResult) => void | Promise<void>,
    observables: Observable[],
  ): void;
  removeBatchObservableCallback(
    callback: (result: BatchObservableResult) => void | Promise<void>,
    observables: Observable[],
  ): void;
}
/** An OpenTelemetry `MeterProvider` (from `@opentelemetry/api` or `@opentelemetry/sdk-metrics`). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): OtelMeter;
}
