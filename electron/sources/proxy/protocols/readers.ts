import type { ProxyProtocol } from '../../../../shared/schemas/integrations.js';
import type { TokenUsage } from './types.js';

/**
 * Per-protocol readers of parsed response objects (one JSON body, one SSE event, one NDJSON line).
 * They keep what the response reported: token counts, the model it names, an error it carried.
 */
export interface UsageReader {
  /** Cheap test on the raw text: could this event change anything? Skipped ones are never parsed. */
  wants(text: string, event: string | undefined): boolean;
  take(value: unknown, event: string | undefined): void;
  /** An event that is not JSON: only an SSE `event: error` with a text payload means anything. */
  takeText(text: string, event: string | undefined): void;
  usage(): TokenUsage | null;
  readonly model: string | null;
  readonly responseId: string | null;
  readonly error: string | null;
  readonly errorCode: string | null;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A token count as sent: a non-negative finite number (rounded), otherwise absent. */
function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') return String(value);
  return null;
}

/**
 * True when `"key"` occurs followed by a value other than null. OpenAI streams carry `"usage":null`
 * on every chunk once include_usage is on, so a plain substring test would parse them all.
 * A quoted key cannot occur inside a JSON string (its quotes would be escaped), so a miss is exact.
 */
export function hasNonNullKey(data: string, quotedKey: string): boolean {
  let from = 0;
  while (true) {
    const at = data.indexOf(quotedKey, from);
    if (at < 0) return false;
    let i = at + quotedKey.length;
    while (data.charCodeAt(i) === 0x20 || data.charCodeAt(i) === 0x09 || data.charCodeAt(i) === 0x0a || data.charCodeAt(i) === 0x0d) i++;
    if (data.charCodeAt(i) === 0x3a) {
      i++;
      while (data.charCodeAt(i) === 0x20 || data.charCodeAt(i) === 0x09 || data.charCodeAt(i) === 0x0a || data.charCodeAt(i) === 0x0d) i++;
      if (data.charCodeAt(i) !== 0x6e /* n */) return true;
    }
    from = at + quotedKey.length;
  }
}

const MAX_ERROR_LENGTH = 500;

/**
 * The ledger keeps one request per response id, so an id that repeats across answers would swallow
 * requests. Cloud ids are long and random; some local servers number their answers
 * (Ollama's OpenAI API: "chatcmpl-" and up to three digits): ids shorter than 16 characters, or
 * longer than the ledger keeps, are not recorded.
 */
export function plausibleResponseId(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const id = value.trim();
  return id.length >= 16 && id.length <= 256 && !/[\p{Cc}\s]/u.test(id) ? id : null;
}

abstract class BaseReader implements UsageReader {
  model: string | null = null;
  responseId: string | null = null;
  error: string | null = null;
  errorCode: string | null = null;

  protected abstract readonly usageKeys: readonly string[];

  wants(data: string, event: string | undefined): boolean {
    if (this.model === null) return true;
    if (event === 'error' || data.includes('"error"')) return true;
    for (const key of this.usageKeys) if (hasNonNullKey(data, key)) return true;
    return false;
  }

  abstract take(value: unknown, event: string | undefined): void;
  abstract usage(): TokenUsage | null;

  takeText(data: string, event: string | undefined): void {
    if (event === 'error' && data.trim() !== '') this.setError(data.trim(), null);
  }

  protected noteModel(value: unknown): void {
    if (this.model === null) this.model = text(value);
  }

  /** Read where the model is (the first event names both), so it costs no extra parsing. */
  protected noteResponseId(value: unknown): void {
    if (this.responseId === null) this.responseId = plausibleResponseId(value);
  }

  protected setError(message: string | null, code: string | null): void {
    const described = message !== null && code !== null ? `${code}: ${message}` : (message ?? code ?? 'error');
    this.error = described.length > MAX_ERROR_LENGTH ? described.slice(0, MAX_ERROR_LENGTH) : described;
    this.errorCode = code;
  }

  /** `{"error": "text"}` (Ollama) or `{"error": {message, type|code|status}}` (OpenAI, Gemini, Anthropic). */
  protected takeErrorField(value: unknown): void {
    if (typeof value === 'string' && value !== '') this.setError(value, null);
    else if (isObject(value)) {
      this.setError(text(value['message']), text(value['type']) ?? text(value['status']) ?? text(value['code']));
    }
  }
}

/**
 * OpenAI chat/completions/embeddings, the Responses API, llama.cpp (`timings`, preferred over `usage`),
 * and, leniently, Ollama's native final object: routes of protocol `ollama` also receive `/v1/...`
 * calls and routes of protocol `openai` are sometimes pointed at an Ollama.
 */
class OpenAiReader extends BaseReader {
  protected readonly usageKeys = ['"usage"', '"timings"', '"prompt_eval_count"', '"eval_count"'] as const;
  private fromUsage: TokenUsage | null = null;
  private fromTimings: TokenUsage | null = null;
  private fromOllama: TokenUsage | null = null;

  take(value: unknown, event: string | undefined): void {
    if (!isObject(value)) return;
    const type = typeof value['type'] === 'string' ? value['type'] : event;
    if (type === 'error' && value['error'] === undefined) {
      // Responses API stream error: {"type":"error","code":...,"message":...}
      this.setError(text(value['message']), text(value['code']));
      return;
    }
    if (value['error'] !== undefined && value['error'] !== null) this.takeErrorField(value['error']);

    const response = value['response'];
    if (typeof type === 'string' && type.startsWith('response.') && isObject(response)) {
      this.noteModel(response['model']);
      this.noteResponseId(response['id']);
      this.takeUsage(response['usage']);
      if (type === 'response.failed' && isObject(response['error'])) this.takeErrorField(response['error']);
      return;
    }
    this.noteModel(value['model']);
    // Chat completions and a non-streamed Responses answer name their id at the top; Ollama's native API has none.
    if (value['object'] !== undefined || type === 'response') this.noteResponseId(value['id']);
    this.takeUsage(value['usage']);
    this.takeTimings(value['timings']);
    if (value['done'] === true) this.takeOllama(value);
  }

  private takeUsage(usage: unknown): void {
    if (!isObject(usage)) return;
    const inputTokens = count(usage['input_tokens']);
    if (inputTokens !== null) {
      // Responses API: input_tokens include the cached ones.
      const details = usage['input_tokens_details'];
      const cached = Math.min(inputTokens, (isObject(details) ? count(details['cached_tokens']) : null) ?? 0);
      this.fromUsage = {
        inputTokens: inputTokens - cached,
        cacheReadTokens: cached,
        outputTokens: count(usage['output_tokens']) ?? 0,
        cacheWriteTokens: 0,
      };
      return;
    }
    const promptTokens = count(usage['prompt_tokens']);
    if (promptTokens === null) return;
    const details = usage['prompt_tokens_details'];
    const cached = Math.min(promptTokens, (isObject(details) ? count(details['cached_tokens']) : null) ?? 0);
    this.fromUsage = {
      inputTokens: promptTokens - cached,
      cacheReadTokens: cached,
      outputTokens: count(usage['completion_tokens']) ?? 0,
      cacheWriteTokens: 0,
    };
  }

  private takeTimings(timings: unknown): void {
    if (!isObject(timings)) return;
    const promptN = count(timings['prompt_n']);
    const predictedN = count(timings['predicted_n']);
    if (promptN === null && predictedN === null) return;
    this.fromTimings = {
      inputTokens: promptN ?? 0,
      cacheReadTokens: count(timings['cache_n']) ?? 0,
      outputTokens: predictedN ?? 0,
      cacheWriteTokens: 0,
    };
  }

  private takeOllama(value: Json): void {
    const promptEval = count(value['prompt_eval_count']);
    const evalCount = count(value['eval_count']);
    // A load-only call answers done:true with no counts: nothing was counted, so record nothing.
    if (promptEval === null && evalCount === null) return;
    this.fromOllama = { inputTokens: promptEval ?? 0, outputTokens: evalCount ?? 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  }

  usage(): TokenUsage | null {
    return this.fromTimings ?? this.fromUsage ?? this.fromOllama;
  }
}

/** Anthropic Messages: `message_start` then cumulative `message_delta`s; the latest value of each field wins. */
class AnthropicReader extends BaseReader {
  protected readonly usageKeys = ['"usage"'] as const;
  private seen = false;
  private readonly counts: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

  take(value: unknown, event: string | undefined): void {
    if (!isObject(value)) return;
    const type = typeof value['type'] === 'string' ? value['type'] : event;
    if (type === 'error') {
      this.takeErrorField(value['error']);
      return;
    }
    if (type === 'message_start') {
      const message = value['message'];
      if (isObject(message)) {
        this.noteModel(message['model']);
        this.noteResponseId(message['id']);
        this.merge(message['usage']);
      }
      return;
    }
    if (type === 'message') {
      this.noteModel(value['model']);
      this.noteResponseId(value['id']);
    }
    this.merge(value['usage']);
  }

  private merge(usage: unknown): void {
    if (!isObject(usage)) return;
    const fields: [keyof TokenUsage, string][] = [
      ['inputTokens', 'input_tokens'],
      ['outputTokens', 'output_tokens'],
      ['cacheReadTokens', 'cache_read_input_tokens'],
      ['cacheWriteTokens', 'cache_creation_input_tokens'],
    ];
    for (const [field, wire] of fields) {
      const value = count(usage[wire]);
      if (value !== null) {
        this.counts[field] = value;
        this.seen = true;
      }
    }    const split = usage['cache_creation'];
    const oneHour = isObject(split) ? count(split['ephemeral_1h_input_tokens']) : null;
    if (oneHour !== null) this.counts.cacheWrite1hTokens = oneHour;
  }

  usage(): TokenUsage | null {
    return this.seen ? { ...this.counts } : null;
  }
}

/** Gemini `usageMetadata`: every chunk may carry one, the last wins. */
class GeminiReader extends BaseReader {
  protected readonly usageKeys = ['"usageMetadata"'] as const;
  private last: TokenUsage | null = null;

  take(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.take(item);
      return;
    }
    if (!isObject(value)) return;
    if (value['error'] !== undefined && value['error'] !== null) this.takeErrorField(value['error']);
    this.noteModel(value['modelVersion']);
    this.noteResponseId(value['responseId']);
    const metadata = value['usageMetadata'];
    if (!isObject(metadata)) return;
    const prompt = count(metadata['promptTokenCount']) ?? 0;
    const cached = Math.min(prompt, count(metadata['cachedContentTokenCount']) ?? 0);
    this.last = {
      inputTokens: prompt - cached,
      cacheReadTokens: cached,
      outputTokens: (count(metadata['candidatesTokenCount']) ?? 0) + (count(metadata['thoughtsTokenCount']) ?? 0),
      cacheWriteTokens: 0,
    };
  }

  usage(): TokenUsage | null {
    return this.last === null ? null : { ...this.last };
  }
}

export function createReader(protocol: ProxyProtocol): UsageReader {
  switch (protocol) {
    case 'anthropic':
      return new AnthropicReader();
    case 'gemini':
      return new GeminiReader();
    case 'openai':
    case 'ollama':
      return new OpenAiReader();
  }
}
