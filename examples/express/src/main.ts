import { once } from 'node:events';
import { connectFluxrate, onShutdownSignal, shutdownFluxrate } from '../../shared/src/fluxrate.js';
import { createApp } from './app.js';

const fluxrate = await connectFluxrate();
const server = createApp(fluxrate.tracker).listen(
  Number(process.env.PORT ?? 3001),
  process.env.HOST ?? '127.0.0.1',
);
await once(server, 'listening');
const address = server.address();
if (address && typeof address === 'object') {
  console.log(`example-express listening on http://${address.address}:${address.port}`);
}

onShutdownSignal(async () => {
  // Stop accepting, let in-flight requests finish (idle keep-alive sockets close now), then drain billing.
  const closed = new Promise((resolve) => server.close(resolve));
  setTimeout(() => server.closeAllConnections(), 10_000).unref();
  await closed;
  await shutdownFluxrate(fluxrate, 'express');
});
