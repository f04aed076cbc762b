import { Billable } from '@fluxrate/nestjs';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Query,
  Req,
  UnprocessableEntityException,
  UseGuards,
} from '@nestjs/common';
import { type ChatResult, chat, search } from '../../shared/src/domain.js';
import { ApiKeyGuard, type AuthenticatedRequest } from './api-key.guard.js';

@Controller('v1')
@UseGuards(ApiKeyGuard)
export class V1Controller {
  @Get('search')
  @Billable({ meter: 'api_calls' })
  search(@Query('q') q?: string) {
    return search(q ?? '');
  }

  // The token count is known only once the handler has answered: bill it from the result.
  @Post('chat')
  @HttpCode(200)
  @Billable<ChatResult>({ meter: 'tokens', quantity: ({ result }) => result?.usage.total_tokens })
  chat(@Body() body: { prompt?: string }): Promise<ChatResult> {
    return chat(String(body?.prompt ?? ''));
  }

  // Monthly active users: a UNIQUE_COUNT meter counts distinct metadata.user_id.
  @Get('me')
  @Billable({ meter: 'active_users', metadata: ({ request }) => ({ user_id: request.account.userId }) })
  me(@Req() request: AuthenticatedRequest) {
    return request.account;
  }

  // Billable, but a 4xx answer is never billed.
  @Post('fail')
  @Billable({ meter: 'api_calls' })
  fail(): never {
    throw new UnprocessableEntityException('this endpoint always fails');
  }
}
