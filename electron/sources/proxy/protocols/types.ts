/** Canonical token counts (product.md section 1): `inputTokens` are prompt tokens NOT served from cache. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** The part of cacheWriteTokens cached for 1 hour (Anthropic reports the split), priced apart. */
  cacheWrite1hTokens?: number;
}

export interface RequestInfo {
  /** From the JSON body `model` (openai, anthropic, ollama), or the Gemini path `/models/{model}:...`. */
  model: string | null;
  /** What the client asked for: `stream: true`; Gemini `streamGenerateContent`; Ollama's native API streams unless `stream: false`. */
  stream: boolean;
  /** Bytes to send upstream: the original Buffer untouched, or (only when includeUsage applies) rewritten. */
  body: Buffer;
}

export interface TapResult {
  usage: TokenUsage | null;
  /** The model as the response names it (2xx only). */
  model: string | null;
  /**
   * The upstream's id for the answer (Anthropic `msg_...`, OpenAI `chatcmpl-...`/`resp_...`, Gemini
   * `responseId`; 2xx only), when it looks unique (see plausibleResponseId).
   */
  responseId: string | null;
  /** An error the upstream reported inside a 2xx body or stream (Anthropic `event: error`, an OpenAI `{"error":...}` chunk...). */
  streamError: string | null;
  /** The machine-readable kind of that error when the upstream gave one (`overloaded_error`, `rate_limit_exceeded`, `RESOURCE_EXHAUSTED`...). */
  streamErrorCode: string | null;
}

export interface UsageTap {
  /** Response body bytes exactly as they go to the client, split anywhere. Never throws. */
  push(chunk: Buffer): void;
  /** Called once at the end, also after a cut stream: reports what was seen. */
  finish(): Promise<TapResult>;
  /**
   * finish() at once, when nothing is left to decompress (no compressed body): the answer's usage is
   * recorded without a promise per request. Null when finish() must be awaited.
   */
  finishNow(): TapResult | null;
}
