// Zero-configuration apps (the tracker made from FLUXRATE_API_KEY, FLUXRATE_BASE_URL, FLUXRATE_METERS),
// rendered for each loader: GET /billed bills api_calls for the `x-customer` header's customer (set where
// an auth hook would), and SIGTERM, with no listener of the app's own, delivers what is held, then ends
// the process. Each prints `{ event: 'listening', port }`.
import { type Adapter, FASTIFY_IMPORTS } from './apps.js';
import { type Import, type Loader, render } from './render.js';

const PRINT = `const print = (line) => process.stdout.write(JSON.stringify(line) + '\\n');`;

const APPS: Record<Adapter, { imports: Import[]; body: string }> = {
  express: {
    imports: [
      ['express', 'express'],
      ['{ billable, fluxrateMiddleware }', '@fluxrate/express'],
    ],
    body: `
const app = express();
app.use((req, res, next) => {
  res.locals.fluxrateCustomer = req.get('x-customer');
  next();
});
app.use(fluxrateMiddleware);
app.get('/billed', billable({ meter: 'api_calls' }), (_req, res) => res.json({ ok: true }));
const server = app.listen(0, '127.0.0.1', () => print({ event: 'listening', port: server.address().port }));
`,
  },
  fastify: {
    imports: FASTIFY_IMPORTS,
    body: `
const app = Fastify();
app.addHook('onRequest', async (request) => {
  request.fluxrateCustomer = request.headers['x-customer'];
});
await app.register(fluxrate);
app.get('/billed', { config: { billable: { meter: 'api_calls' } } }, async () => ({ ok: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
print({ event: 'listening', port: app.server.address().port });
`,
  },
  nest: {
    imports: [
      ['', 'reflect-metadata'],
      ['{ Billable, FluxrateModule }', '@fluxrate/nestjs'],
      ['{ Controller, Get, Module }', '@nestjs/common'],
      ['{ NestFactory }', '@nestjs/core'],
    ],
    body: `
class BillingController {
  billed() {
    return { ok: true };
  }
}
const proto = BillingController.prototype;
const billed = Object.getOwnPropertyDescriptor(proto, 'billed');
Object.defineProperty(proto, 'billed', Reflect.decorate([Get('billed'), Billable({ meter: 'api_calls' })], proto, 'billed', billed));
Reflect.decorate([Controller()], BillingController);
class AppModule {}
Reflect.decorate([Module({ imports: [FluxrateModule.forRoot()], controllers: [BillingController] })], AppModule);
const app = await NestFactory.create(AppModule, { logger: false });
app.enableShutdownHooks();
app.use((req, _res, next) => {
  req.fluxrateCustomer = req.headers['x-customer'];
  next();
});
await app.listen(0, '127.0.0.1');
print({ event: 'listening', port: app.getHttpServer().address().port });
`,
  },
};

export function zeroConfigApp(adapter: Adapter, loader: Loader): string {
  return render(loader, APPS[adapter].imports, `${PRINT}\n${APPS[adapter].body}`);
}
