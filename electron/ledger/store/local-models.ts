import type { Database, Statement } from 'better-sqlite3';
import type { ChannelDirectory } from './channels.js';

/** Api types of local servers: what they serve is never a cloud model, whatever its name. */
const LOCAL_API_TYPES = new Set(['ollama', 'llama.cpp', 'llama-cpp', 'llamacpp', 'llama-swap', 'lmstudio', 'vllm', 'local']);
/** Sources named by the launcher watchers ("llama-cpp@127.0.0.1:8080"), or by a local server's kind alone. */
const WATCHER_SOURCE = /^(llama-cpp|llama\.cpp|llama-swap|ollama|lmstudio|vllm)(@|$)/;
/**
 * Names only local weights carry: GGUF quantisations (Q4_K_M, IQ3_XS, UD-Q2_K_XL, MXFP4) and Ollama
 * tags (qwen2.5-coder:7b). "DeepSeek-R1-Distill-Qwen-32B-Q5_K_M" is not deepseek-reasoner.
 */
const LOCAL_WEIGHTS = /(?:^|[-_.])(?:i?q\d(?:_[a-z0-9]+)*|ud|gguf|mxfp4|awq|gptq|exl2)(?:$|[-_.])|:\d+(?:\.\d+)?[bm]\b/i;

export function hasLocalWeightsName(model: string): boolean {
  return LOCAL_WEIGHTS.test(model);
}

/** Whether a host name or address is this machine or a private network (RFC 1918, link-local, ULA, .local). */
export function isLocalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.lan') || h === '0.0.0.0') return true;
  if (h === '::1' || h.startsWith('fe80:') || /^f[cd][0-9a-f]{2}:/.test(h)) return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(h);
  if (!v4) return false;
  const a = Number(v4[1]);
  const b = Number(v4[2]);
  return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

export function isLocalUrl(url: string): boolean {
  try {
    return isLocalHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * Which requests belong to a local model, so the catalogue never prices them: a model with runs (a
 * launcher watcher saw it loaded), a local api type, a watcher's source, or a channel whose upstream is
 * on this machine or a private network. Answers are memoised; a run recorded later is noted here.
 */
export class LocalModels {
  private readonly withRuns = new Map<number, boolean>();
  private readonly localChannels = new Map<number, boolean>();
  /** Channels without a base URL, and the ChannelDirectory.described count when that was seen. */
  private readonly undescribed = new Map<number, number>();
  private readonly hasRun: Statement<[number], { one: number }>;
  private forgotten = 0;

  constructor(
    db: Database,
    private readonly channels: ChannelDirectory,
  ) {
    this.hasRun = db.prepare(`SELECT 1 AS one FROM runs WHERE model_id = ? LIMIT 1`);
  }

  /**
   * What a request says of where it was served, runs aside: true (local), false (not), or null when
   * its channel's base URL is not known yet (asked again next time).
   */
  servedLocally(model: string, apiType: string | null, source: string | null, channelId: number): boolean | null {
    if (hasLocalWeightsName(model)) return true;
    if (apiType !== null && LOCAL_API_TYPES.has(apiType)) return true;
    if (source !== null && (WATCHER_SOURCE.test(source) || isLocalSource(source))) return true;
    return channelId === 0 ? false : this.channelIsLocal(channelId);
  }

  noteRun(modelId: number): void {
    this.withRuns.set(modelId, true);
  }

  /**
   * Grows whenever a null from servedLocally may have become an answer: some channel was described
   * here, or the mirrors were dropped (another connection may have described one).
   */
  get unknownEpoch(): number {
    return this.channels.described + this.forgotten;
  }

  forget(): void {
    this.forgotten++;
    this.withRuns.clear();
    this.localChannels.clear();
    this.undescribed.clear();
  }

  modelHasRuns(modelId: number): boolean {
    let found = this.withRuns.get(modelId);
    if (found === undefined) this.withRuns.set(modelId, (found = this.hasRun.get(modelId) !== undefined));
    return found;
  }

  private channelIsLocal(channelId: number): boolean | null {
    const known = this.localChannels.get(channelId);
    if (known !== undefined) return known;
    // A channel may be named before its base URL is stored (a script's key): it is asked again only
    // once some channel has been described since.
    if (this.undescribed.get(channelId) === this.channels.described) return null;
    const baseUrl = this.channels.info(channelId)?.baseUrl ?? null;
    if (baseUrl === null) {
      this.undescribed.set(channelId, this.channels.described);
      return null;
    }
    const local = isLocalUrl(baseUrl);
    this.localChannels.set(channelId, local);
    return local;
  }
}

/** "kind@host:port" sources whose host is local. */
function isLocalSource(source: string): boolean {
  const at = source.lastIndexOf('@');
  if (at < 0) return false;
  const host = source.slice(at + 1).replace(/:\d+$/, '');
  return host.length > 0 && isLocalHost(host);
}
