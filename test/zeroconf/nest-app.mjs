// A NestJS app (platform-express, built packages) with zero-configuration billing:
// `FluxrateModule.forRoot()` with no arguments, the environment's tracker, `enableShutdownHooks()`.
// The customer is set on the request by a middleware (as an auth middleware would). Plain JS:
// decorators are applied by hand. Env: FLUXRATE_API_KEY, FLUXRATE_BASE_URL, FLUXRATE_METERS.
import 'reflect-metadata';
import { Billable, FluxrateModule } from '@fluxrate/nestjs';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

class SearchController {
  search() {
    return { results: [] };
  }
}
const proto = SearchController.prototype;
Object.defineProperty(
  proto,
  'search',
  Reflect.decorate(
    [Get('search'), Billable({ meter: 'api_calls' })],
    proto,
    'search',
    Object.getOwnPropertyDescriptor(proto, 'search'),
  ),
);
Reflect.decorate([Controller('v1')], SearchController);

class AppModule {}
Reflect.decorate(
  [Module({ imports: [FluxrateModule.forRoot()], controllers: [SearchController] })],
  AppModule,
);

const app = await NestFactory.create(AppModule, { logger: false });
app.use((req, _res, next) => {
  req.fluxrateCustomer = 'acme';
  next();
});
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ event: 'listening', port: app.getHttpServer().address().port })}\n`);
