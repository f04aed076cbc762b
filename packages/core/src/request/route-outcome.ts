import type { RequestOutcome } from '../contracts/route-types.js';
import { describe } from '../support/describe.js';

/** `METHOD /pattern`, as error reasons name routes (built only when something is reported). */
export const routeLabel = (outcome: RequestOutcome): string =>
  `${outcome.method} ${outcome.route ?? '(no route)'}`;

export const handlerSuffix = (handler: string | undefined): string => (handler ? ` (in ${handler})` : '');

/** The default billing rule: finished, not aborted, not failed after headers, status < 400. */
export const defaultWhen = (outcome: RequestOutcome): boolean =>
  outcome.finished && !outcome.aborted && !outcome.failed && outcome.status >= 100 && outcome.status < 400;

/**
 * What follows "no customer" in the missing-customer notice: what the customer function gave (or that
 * there is none) and how to set it, in the adapter's words when it gave them.
 */
export function customerAdvice(
  customerFn: unknown,
  value: unknown,
  adapter: string,
  hint: string | undefined,
): string {
  const why = customerFn ? `customer returned ${describe(value)}` : 'no customer option is set';
  const how =
    hint ??
    `Pass ${adapter} a customer function returning the customer id (e.g. from your auth), or give the route spec a customer.`;
  return `(${why}). ${how}`;
}

/** Lists the meters a route may name, for an unknown-meter error; zero configuration names them in `env`. */
export function knownMeters(names: string[], zeroConfig: boolean, env: string): string {
  const where = zeroConfig ? `; zero configuration names meters in ${env}=name=<meter token>,…` : '';
  if (names.length === 0)
    return ` (no meter names are configured: use a meter token, or name meters${zeroConfig ? ` in ${env}` : ' in the meters option'})`;
  return ` (known: ${names.join(', ')}${where})`;
}
