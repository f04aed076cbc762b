import { Controller, Get } from '@nestjs/common';

@Controller('health')
export class HealthController {
  // Not @Billable: free.
  @Get()
  health() {
    return { status: 'ok' };
  }
}
