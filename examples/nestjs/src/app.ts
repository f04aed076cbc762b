import 'reflect-metadata';
import type { MeterName, Tracker } from '@fluxrate/core';
import { FluxrateModule } from '@fluxrate/nestjs';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AuthenticatedRequest } from './api-key.guard.js';
import { HealthController } from './health.controller.js';
import { V1Controller } from './v1.controller.js';

@Module({})
class AppModule {
  static register(tracker: Tracker<MeterName>): DynamicModule {
    return {
      module: AppModule,
      // Registers FluxrateInterceptor globally: @Billable() handlers are billed once the response has finished.
      imports: [
        FluxrateModule.forRoot({
          tracker,
          customer: (request: AuthenticatedRequest) => request.account?.customerId,
        }),
      ],
      controllers: [HealthController, V1Controller],
    };
  }
}

/** The example API on Nest's Express platform, billing through the given tracker. */
export function createApp(tracker: Tracker<MeterName>) {
  return NestFactory.create(AppModule.register(tracker), { logger: ['error', 'warn'] });
}
