import { connectFluxrate, onShutdownSignal, shutdownFluxrate } from '../../shared/src/fluxrate.js';
import { createApp } from './app.js';

const fluxrate = await connectFluxrate();
const app = await createApp(fluxrate.tracker);
await app.listen(Number(process.env.PORT ?? 3003), process.env.HOST ?? '127.0.0.1');
console.log(`example-nestjs listening on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);

onShutdownSignal(async () => {
  // Stop accepting and let in-flight requests finish (FluxrateModule flushes on close), then drain billing.
  await app.close();
  await shutdownFluxrate(fluxrate, 'nestjs');
});
