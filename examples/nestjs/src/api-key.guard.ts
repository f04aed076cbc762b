import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { type Account, authenticate } from '../../shared/src/domain.js';

export type AuthenticatedRequest = { headers: Record<string, string | undefined>; account: Account };

/** `Authorization: Bearer <key>` -> `request.account`, else 401 (guards run before the billing interceptor). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const account = authenticate(request.headers.authorization);
    if (!account) throw new UnauthorizedException('unknown API key');
    request.account = account;
    return true;
  }
}
