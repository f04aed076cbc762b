// NestJS (platform-express) app, one variant per process: `node apps/nestjs.mjs <bare|metered|aggregate>`.
// Plain JS: decorators are applied by hand, and nothing relies on constructor type metadata.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { benchTracker, CUSTOMER, countBilled, SEARCH_RESULT, serve, variantOptions } from './common.mjs';
import { load } from './loader.mjs';

const variant = process.argv[2] ?? 'bare';
const metered = variant === 'metered' || variant === 'aggregate';

class SearchController {
  search() {
    return SEARCH_RESULT;
  }
}

let tracker;
const imports = [];
const searchDecorators = [Get('search')];
if (metered) {
  const { FluxrateModule, Billable } = await load('@fluxrate/nestjs');
  tracker = benchTracker(variantOptions(variant));
  imports.push(FluxrateModule.forRoot({ tracker, customer: () => CUSTOMER }));
  searchDecorators.push(Billable({ meter: 'api_calls' }));
}
const proto = SearchController.prototype;
Object.defineProperty(
  proto,
  'search',
  Reflect.decorate(searchDecorators, proto, 'search', Object.getOwnPropertyDescriptor(proto, 'search')),
);
Reflect.decorate([Controller('v1')], SearchController);

class AppModule {}
Reflect.decorate([Module({ imports, controllers: [SearchController] })], AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
app.use((_req, res, next) => {
  countBilled(res);
  next();
});
await app.listen(0, '127.0.0.1');
serve(app.getHttpServer().address().port, {
  closeServer: () => app.close(),
  stats: () => tracker?.stats(),
  drain: async () => {
    if (!tracker) return null;
    const report = await tracker.shutdown({ timeoutMs: 30_000 });
    const { delivered, failed, dropped } = report;
    return { report: { delivered, failed, dropped, pending: report.pending.length }, stats: tracker.stats() };
  },
});
