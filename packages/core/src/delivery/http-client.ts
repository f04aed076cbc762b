/**
 * The seam between the transport and an HTTP client: the transport builds each attempt's body and
 * reads its answer through an `Exchange`; the client (`undici-client.ts`) puts it on the wire. The
 * dispatcher sees neither: its view of HTTP is the transport's `send`.
 */

/** One request (a prebuilt JSON body) and the receiver of its response. */
export interface Exchange {
  readonly body: string;
  /** The client's handle on this exchange while it is on the wire (for `cancel`); nobody else's. */
  link: unknown;
  /**
   * The final status (1xx are not reported) and, of a non-2xx answer, its `Retry-After` and
   * `Content-Encoding` headers (an error body is decoded by the latter).
   */
  onResponseStart(status: number, retryAfter: string | undefined, contentEncoding?: string): void;
  /** A body chunk; `false` stops reading here (the client drops the rest of the body). */
  onResponseData(chunk: Buffer): boolean;
  onResponseEnd(): void;
  /** Anything that ends the exchange without a complete answer (connect, protocol, reset). */
  onResponseError(error: Error): void;
}

export interface HttpClient {
  /** Sends one exchange; its callbacks are called later (or at once with an error), never a throw. */
  request(exchange: Exchange): void;
  /**
   * Stops an exchange that is queued or on the wire; its outcome is already settled. `heardNothing`:
   * its deadline passed before any answer (its connection may be dead).
   */
  cancel(exchange: Exchange, heardNothing?: boolean): void;
  /** Graceful: exchanges in flight finish, then connections close. Forced: all close now. */
  close(force: boolean): Promise<void>;
}
