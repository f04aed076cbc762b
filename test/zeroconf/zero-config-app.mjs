// An Express app with zero-configuration billing (`app.use(fluxrateMiddleware)`, uncalled), on the
// built packages. Env: FLUXRATE_API_KEY, FLUXRATE_BASE_URL, FLUXRATE_METERS; OWN_SIGTERM=1 gives the
// app its own SIGTERM handler (closes the server, prints `app-sigterm`). Prints JSON lines.
import { billable, fluxrateMiddleware } from '@fluxrate/express';
import express from 'express';

const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

const app = express();
app.use((_req, res, next) => {
  res.locals.fluxrateCustomer = 'acme';
  next();
});
app.use(fluxrateMiddleware);
app.get('/v1/search', billable({ meter: 'api_calls' }), (_req, res) => res.json({ ok: true }));

const server = app.listen(0, '127.0.0.1', () => print({ event: 'listening', port: server.address().port }));
if (process.env.OWN_SIGTERM === '1') {
  process.on('SIGTERM', () => {
    print({ event: 'app-sigterm' });
    server.close();
    server.closeAllConnections();
  });
}
