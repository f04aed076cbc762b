import { Billable, FluxrateTracker } from '@fluxrate/nestjs';
import { Controller, Get } from '@nestjs/common';

@Controller()
export class AppController {
  // Injected by type: the constructor's parameter types come from emitDecoratorMetadata.
  constructor(private readonly tracker: FluxrateTracker) {}

  @Get('billed')
  @Billable({ meter: 'api_calls' })
  billed() {
    return { ok: true };
  }

  @Get('flush')
  async flush() {
    const { settled } = await this.tracker.flush({ timeoutMs: 20_000 });
    return { settled, stats: this.tracker.stats() };
  }
}
