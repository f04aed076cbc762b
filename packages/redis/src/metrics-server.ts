import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { MeterProviderLike } from '@fluxrate/core';

/** The slices of `@opentelemetry/sdk-metrics` and `@opentelemetry/exporter-prometheus` used here. */
interface Sdk {
  MeterProvider: new (config: { readers: unknown[] }) => MeterProviderLike & { shutdown(): Promise<void> };
}
interface Exporter {
  PrometheusExporter: new (config: {
    host?: string;
    port: number;
    preventServerStart: boolean;
  }) => { startServer(): Promise<void> };
}

export interface MetricsServer {
  provider: MeterProviderLike;
  /** Where Prometheus scrapes. */
  url: string;
  /** Stops serving (the exporter's HTTP server closes with the provider). */
  close(): Promise<void>;
}

const MISSING =
  '--metrics-port needs @opentelemetry/sdk-metrics and @opentelemetry/exporter-prometheus (optional ' +
  'peer dependencies of @fluxrate/redis): npm i @opentelemetry/api @opentelemetry/sdk-metrics ' +
  '@opentelemetry/exporter-prometheus';

/**
 * The exporter from the working directory's project first, then from beside this package, and the SDK as
 * the exporter resolves it (its reader must come from the same SDK copy as the MeterProvider).
 */
function load(): { sdk: Sdk; prometheus: Exporter } | undefined {
  for (const from of [join(process.cwd(), 'noop.js'), import.meta.url]) {
    try {
      const require = createRequire(from);
      const path = require.resolve('@opentelemetry/exporter-prometheus');
      const prometheus = require(path) as Exporter;
      return { prometheus, sdk: createRequire(path)('@opentelemetry/sdk-metrics') as Sdk };
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/**
 * `fluxrate-forwarder --metrics-port`: an OpenTelemetry MeterProvider whose reader is the Prometheus
 * exporter, serving the text format on `http://host:port/metrics`. Throws a message naming what to
 * install when the optional packages are missing; nothing is loaded without the flag.
 */
export async function startMetricsServer(port: number, host: string | undefined): Promise<MetricsServer> {
  const loaded = load();
  if (!loaded) throw new Error(MISSING);
  const { sdk, prometheus } = loaded;
  const exporter = new prometheus.PrometheusExporter({
    port,
    preventServerStart: true,
    ...(host ? { host } : {}),
  });
  await exporter.startServer();
  const provider = new sdk.MeterProvider({ readers: [exporter] });
  const where = host ?? process.env.OTEL_EXPORTER_PROMETHEUS_HOST ?? 'localhost';
  return { provider, url: `http://${where}:${port}/metrics`, close: () => provider.shutdown() };
}
