import { createTracker } from '@fluxrate/core';
import { FluxrateModule } from '@fluxrate/nestjs';
import { Module } from '@nestjs/common';
import { AppController } from './app.controller';

const env = process.env;
const options = {
  apiKey: env.FLUXRATE_API_KEY,
  baseUrl: env.FLUXRATE_BASE_URL,
  meters: { api_calls: env.METER_API_CALLS },
  // AGGREGATE=1: hour windows (clock-aligned; a minute one would straddle a boundary now and then).
  ...(env.AGGREGATE === '1' ? { aggregate: { windowMs: 3_600_000 } } : {}),
};
const customer = (req) => req.headers['x-customer'];

// OWN_TRACKER=1: the app creates the tracker with @fluxrate/core and hands it to the module; else the
// module creates (and owns) it from the options.
@Module({
  imports: [
    env.OWN_TRACKER === '1'
      ? FluxrateModule.forRoot({ tracker: createTracker(options), customer })
      : FluxrateModule.forRoot({ ...options, customer }),
  ],
  controllers: [AppController],
})
export class AppModule {}
