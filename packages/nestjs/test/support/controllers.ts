import { Readable } from 'node:stream';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  HttpCode,
  Injectable,
  NotFoundException,
  Post,
  Req,
  StreamableFile,
  UseGuards,
} from '@nestjs/common';
import { delay, of } from 'rxjs';
import { Billable, SkipBilling } from '../../src/index.js';
import { deferred, sleep } from './app.js';

@Injectable()
class DenyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers['x-deny'] === undefined;
  }
}

/** Resolved when the slow handler has started, so a test can abort mid-request. */
export const slow = { started: deferred(), finished: deferred() };

@Controller('v1')
export class SearchController {
  @Get('search')
  @Billable({ meter: 'api_calls' })
  search(@Req() request: { fluxrate: { requestId: string } }) {
    return { requestId: request.fluxrate.requestId };
  }

  @Post('chat')
  @HttpCode(200)
  @Billable({ meter: 'tokens', quantity: ({ result }) => result.usage.total_tokens })
  async chat() {
    await sleep(5);
    return { usage: { total_tokens: 42 } };
  }

  @Get('observable')
  @Billable<{ n: number }>({ meter: 'tokens', quantity: ({ result }) => result?.n })
  observable() {
    return of({ n: 1 }, { n: 7 }).pipe(delay(5));
  }

  @Get('file')
  @Billable({ meter: 'api_calls', quantity: 3 })
  file() {
    return new StreamableFile(Readable.from([Buffer.from('chunk-1 '), Buffer.from('chunk-2')]));
  }

  @Get('guarded')
  @UseGuards(DenyGuard)
  @Billable({ meter: 'api_calls' })
  guarded() {
    return 'ok';
  }

  @Get('missing')
  @Billable({ meter: 'api_calls' })
  missing() {
    throw new NotFoundException('no such thing');
  }

  @Get('slow')
  @Billable({ meter: 'api_calls' })
  async slow() {
    slow.started.resolve();
    await sleep(120);
    slow.finished.resolve();
    return 'late';
  }

  @Get('broken')
  @Billable({
    meter: 'api_calls',
    quantity: () => {
      throw new Error('boom');
    },
  })
  broken() {
    return { ok: true };
  }

  @Get('garbage')
  @Billable({ meter: 'api_calls', quantity: () => 'lots' as unknown as number })
  garbage() {
    return { ok: true };
  }

  /** Billed through the module's `routes` table only. */
  @Get('table')
  table() {
    return 'from table';
  }

  /** Listed in the `routes` table, but `@SkipBilling()` wins. */
  @Get('table-skip')
  @SkipBilling()
  tableSkip() {
    return 'free';
  }

  /** Not annotated: the handler reports usage itself. */
  @Get('usage')
  usage(@Req() request: { fluxrate: { addUsage(meter: string, n: number): void } }) {
    request.fluxrate.addUsage('tokens', 3);
    return 'ok';
  }
}

@Controller('v1/reports')
@Billable({ meter: 'api_calls', quantity: 2 })
export class ReportsController {
  @Get()
  list() {
    return [];
  }

  @Get('export')
  @Billable({ meter: 'tokens', quantity: 5 })
  export() {
    return 'exported';
  }

  @Get('free')
  @SkipBilling()
  free() {
    return 'free';
  }
}
