// The application code README snippets call but do not define: your search, your LLM call, your auth
// middleware, your logger. Declared with concrete types, never `any`, so a snippet that misuses the
// Fluxrate API still fails to compile. Framework types and declaration merging never go here: a snippet
// that needs them shows them itself.

interface SearchResult {
  results: string[];
}
interface ChatResult {
  text: string;
  usage: { total_tokens: number };
}
/** Your search; also usable directly as a route handler (it ignores what it does not read). */
declare function search(q?: unknown): SearchResult;
/** Your LLM call (or a chat route handler). */
declare function chat(prompt?: unknown): Promise<ChatResult>;
/** Your LLM client. */
declare function llm(input: unknown): Promise<ChatResult>;
/** Your authentication middleware (Express shape). */
declare function auth(req: unknown, res: unknown, next: () => void): void;
/** Your pino-like logger. */
declare const log: {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};
