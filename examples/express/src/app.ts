import type { MeterName, Tracker } from '@fluxrate/core';
import { billable, fluxrateMiddleware } from '@fluxrate/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { type Account, authenticate, chat, search } from '../../shared/src/domain.js';

/** The example API. Billing: `billable()` on each route, customer from the caller's API key. */
export function createApp(tracker: Tracker<MeterName>) {
  const app = express();
  app.use(express.json());
  // First: every request gets a server-generated id and is billed once its response has finished.
  app.use(
    fluxrateMiddleware({ tracker, customer: (_req, res) => (res.locals.account as Account)?.customerId }),
  );

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const v1 = express.Router();
  v1.use((req: Request, res: Response, next: NextFunction) => {
    const account = authenticate(req.get('authorization'));
    if (!account) {
      res.status(401).json({ error: 'unknown API key' });
      return;
    }
    res.locals.account = account;
    next();
  });

  v1.get('/search', billable({ meter: 'api_calls' }), (req, res) => {
    res.json(search(String(req.query.q ?? '')));
  });

  // The token count is known only inside the handler: report it on the request.
  v1.post('/chat', billable({ meter: 'tokens' }), async (req, res) => {
    const result = await chat(String(req.body?.prompt ?? ''));
    req.fluxrate.addUsage('tokens', result.usage.total_tokens);
    res.json(result);
  });

  // Monthly active users: a UNIQUE_COUNT meter counts distinct metadata.user_id.
  v1.get(
    '/me',
    billable({
      meter: 'active_users',
      metadata: (_req, res) => ({ user_id: (res.locals.account as Account).userId }),
    }),
    (_req, res) => {
      res.json(res.locals.account);
    },
  );

  // Billable, but a 4xx answer is never billed.
  v1.post('/fail', billable({ meter: 'api_calls' }), (_req, res) => {
    res.status(422).json({ error: 'this endpoint always fails' });
  });

  app.use('/v1', v1);
  return app;
}
