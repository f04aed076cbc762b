// The scenario apps, as source text rendered for each loader (render.ts). Each app creates a tracker from
// its environment, serves its routes on 127.0.0.1, prints `{ event: 'listening', port }`, and answers
// stdin commands: `flush` (settle, then report stats and every FLUXRATE_ warning or `error` event seen)
// and `exit`. Routes: GET /billed (api_calls), GET /late (tokens: hold(), addUsage 7 after 20 ms, done()),
// and in Express GET /misspelt (meter `api_cals`). MISSPELT=1 declares that route in Fastify and Nest too,
// where it fails at startup: the app prints `startup-error` instead of `listening`.
import { type Import, type Loader, render } from './render.js';

export type Adapter = 'express' | 'fastify' | 'nest';
export const ADAPTERS: Adapter[] = ['express', 'fastify', 'nest'];

const HARNESS_IMPORTS: Import[] = [
  ['{ createInterface }', 'node:readline'],
  ['{ createTracker }', '@fluxrate/core'],
];

/** The tracker, the problem log and the command loop. TRACKER_OPTIONS (JSON) is spread over the defaults. */
const HARNESS = `
const env = process.env;
const print = (line) => process.stdout.write(JSON.stringify(line) + '\\n');
const problems = [];
process.on('warning', (w) => {
  if (String(w.code).startsWith('FLUXRATE_')) problems.push(w.code + ': ' + w.message);
});
const tracker = createTracker({
  apiKey: env.FLUXRATE_API_KEY,
  baseUrl: env.FLUXRATE_BASE_URL,
  meters: { api_calls: env.METER_API_CALLS, tokens: env.METER_TOKENS },
  retry: { minTimeout: 20, maxTimeout: 250 },
  ...JSON.parse(env.TRACKER_OPTIONS || '{}'),
});
tracker.on('error', (e) => problems.push('error event: ' + e.route + ' ' + e.reason));
const commands = {
  flush: async () => {
    const result = await tracker.flush({ timeoutMs: 20_000 });
    return { settled: result.settled, stats: tracker.stats(), problems };
  },
  exit: async () => {
    await tracker.shutdown({ timeoutMs: 5_000 });
    setImmediate(() => process.exit(0));
    return {};
  },
};
createInterface({ input: process.stdin }).on('line', async (text) => {
  const command = JSON.parse(text);
  print({ event: command.do, ...(await commands[command.do](command)) });
});
const late = (billing) => {
  const done = billing.hold();
  setTimeout(() => {
    billing.addUsage('tokens', 7);
    done();
  }, 20);
};
`;

interface AdapterApp {
  imports: Import[];
  /** Serves the routes with \`tracker\`, ending with \`port\` declared. */
  body: string;
}

const EXPRESS_IMPORTS: Import[] = [
  ['express', 'express'],
  ['{ billable, fluxrateMiddleware }', '@fluxrate/express'],
];
const EXPRESS_BODY = `
const app = express();
app.use(fluxrateMiddleware({ tracker, customer: (req) => req.get('x-customer') }));
app.get('/billed', billable({ meter: 'api_calls' }), (_req, res) => res.json({ ok: true }));
app.get('/late', billable({ meter: 'tokens' }), (req, res) => {
  late(req.fluxrate);
  res.json({ ok: true });
});
app.get('/misspelt', billable({ meter: 'api_cals' }), (_req, res) => res.json({ ok: true }));
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const port = server.address().port;
`;

/** What a Fastify test app imports (the zero-config apps too). */
export const FASTIFY_IMPORTS: Import[] = [
  ['Fastify', 'fastify'],
  ['{ fluxrate }', '@fluxrate/fastify'],
];

const APPS: Record<Adapter, AdapterApp> = {
  express: { imports: EXPRESS_IMPORTS, body: EXPRESS_BODY },
  fastify: {
    imports: FASTIFY_IMPORTS,
    body: `
const app = Fastify();
await app.register(fluxrate, { tracker, customer: (request) => request.headers['x-customer'] });
app.get('/billed', { config: { billable: { meter: 'api_calls' } } }, async () => ({ ok: true }));
app.get('/late', { config: { billable: { meter: 'tokens' } } }, async (request) => {
  late(request.fluxrate);
  return { ok: true };
});
if (env.MISSPELT === '1') app.get('/misspelt', { config: { billable: { meter: 'api_cals' } } }, async () => ({}));
await app.listen({ port: 0, host: '127.0.0.1' });
const port = app.server.address().port;
`,
  },
  nest: {
    imports: [
      ['', 'reflect-metadata'],
      ['{ Billable, FluxrateModule }', '@fluxrate/nestjs'],
      ['{ Controller, Get, Module, Req }', '@nestjs/common'],
      ['{ NestFactory }', '@nestjs/core'],
    ],
    // Plain JS: decorators applied by hand, as TypeScript's output would.
    body: `
class BillingController {
  billed() {
    return { ok: true };
  }
  late(req) {
    late(req.fluxrate);
    return { ok: true };
  }
  misspelt() {
    return {};
  }
}
const decorate = (name, decorators) => {
  const proto = BillingController.prototype;
  Object.defineProperty(proto, name, Reflect.decorate(decorators, proto, name, Object.getOwnPropertyDescriptor(proto, name)));
};
decorate('billed', [Get('billed'), Billable({ meter: 'api_calls' })]);
Req()(BillingController.prototype, 'late', 0);
decorate('late', [Get('late'), Billable({ meter: 'tokens' })]);
if (env.MISSPELT === '1') decorate('misspelt', [Get('misspelt'), Billable({ meter: 'api_cals' })]);
Reflect.decorate([Controller()], BillingController);
class AppModule {}
const fluxrate = FluxrateModule.forRoot({ tracker, customer: (req) => req.headers['x-customer'] });
Reflect.decorate([Module({ imports: [fluxrate], controllers: [BillingController] })], AppModule);
const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const port = app.getHttpServer().address().port;
`,
  },
};

/**
 * The source of an adapter's app for a loader. `imports` replaces the adapter's own imports and `prelude`
 * runs first: the mixed app loads the adapter with `createRequire` there.
 */
export function adapterApp(
  adapter: Adapter,
  loader: Loader,
  { imports, prelude = '' }: { imports?: Import[]; prelude?: string } = {},
): string {
  const app = APPS[adapter];
  const body = `${prelude}${HARNESS}
try {
${app.body}
  print({ event: 'listening', port });
} catch (error) {
  print({ event: 'startup-error', code: error.code, message: error.message });
}`;
  return render(loader, [...HARNESS_IMPORTS, ...(imports ?? app.imports)], body);
}
