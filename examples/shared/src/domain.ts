// The example API's business logic, identical in the Express, Fastify and NestJS examples:
// only app.ts differs between them, so the frameworks are easy to compare.
import { setTimeout as sleep } from 'node:timers/promises';

export interface Account {
  customerId: string;
  userId: string;
}

/** API keys -> who is calling. In a real app this is a database lookup or a JWT. */
const API_KEYS: Record<string, Account> = {
  sk_acme_alice: { customerId: 'acme', userId: 'alice' },
  sk_acme_bob: { customerId: 'acme', userId: 'bob' },
  sk_acme_carol: { customerId: 'acme', userId: 'carol' },
  sk_globex_dave: { customerId: 'globex', userId: 'dave' },
  sk_globex_erin: { customerId: 'globex', userId: 'erin' },
  sk_initech_frank: { customerId: 'initech', userId: 'frank' },
};

/** The account behind an `Authorization: Bearer <key>` header, or undefined (answer 401). */
export function authenticate(authorization: string | undefined): Account | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return match ? API_KEYS[match[1] as string] : undefined;
}

export function search(query: string) {
  return { query, results: [`${query} - docs`, `${query} - blog`, `${query} - forum`] };
}

export interface ChatResult {
  reply: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/**
 * A stand-in for a language model: it "thinks" 2 ms per word (up to 3 s), and its token usage is
 * known only once it has answered, which is why the route reports it from the handler.
 */
export async function chat(prompt: string): Promise<ChatResult> {
  const words = prompt.split(/\s+/).filter(Boolean).length;
  await sleep(Math.min(words * 2, 3_000));
  const prompt_tokens = Math.ceil(words * 1.3);
  const completion_tokens = 8 + (words % 17);
  return {
    reply: `You said ${words} word(s).`,
    usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
  };
}
