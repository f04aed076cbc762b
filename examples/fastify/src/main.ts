import { connectFluxrate, onShutdownSignal, shutdownFluxrate } from '../../shared/src/fluxrate.js';
import { createApp } from './app.js';

const fluxrate = await connectFluxrate();
const app = await createApp(fluxrate.tracker);
const url = await app.listen({
  port: Number(process.env.PORT ?? 3002),
  host: process.env.HOST ?? '127.0.0.1',
});
console.log(`example-fastify listening on ${url}`);

onShutdownSignal(async () => {
  // Stop accepting, let in-flight requests finish (idle keep-alive sockets close now), then drain billing.
  await app.close();
  await shutdownFluxrate(fluxrate, 'fastify');
});
