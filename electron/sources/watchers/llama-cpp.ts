import { getFrom, getJson, isRecord, LauncherError, parseJson, validModelNames, type DriverContext, type LauncherDriver } from './launcher-http.js';

/**
 * llama.cpp's llama-server serves one model: `GET /health` answers 200 `{"status":"ok"}` once it is
 * loaded and 503 while loading (tools/server/README.md); `GET /props` says which model
 * (`model_alias` when started with `--alias`, else the file in `model_path`).
 */
export function llamaCppDriver(ctx: DriverContext): LauncherDriver {
  return {
    async poll(signal) {
      const health = await getFrom(ctx, '/health', signal);
      // Reachable but still loading the model: the launcher is up, the model is not yet.
      if (health.status === 503) return [];
      if (health.status !== 200) throw new LauncherError(`HTTP ${health.status} from /health`);
      const status = parseJson(health.text, '/health');
      if (isRecord(status) && typeof status.status === 'string' && status.status !== 'ok') return [];
      if (ctx.model !== null) return [ctx.model];
      const props = await getJson(ctx, '/props', signal);
      const name = modelNameFromProps(props);
      if (name === null) throw new LauncherError('/props names no model; set the model name in the watcher');
      return validModelNames([name]);
    },
  };
}

/** The model's name as llama-server reports it: its alias, else its file name without folder and `.gguf`. */
export function modelNameFromProps(props: unknown): string | null {
  if (!isRecord(props)) return null;
  const path = typeof props.model_path === 'string' ? props.model_path.trim() : '';
  const alias = typeof props.model_alias === 'string' ? props.model_alias.trim() : '';
  // Without --alias some builds repeat the path as the alias; that is no name a person chose.
  if (alias !== '' && alias !== path) return alias;
  if (path === '') return null;
  const file = path.split(/[\\/]/).pop() ?? '';
  const name = file.replace(/\.gguf$/i, '');
  return name === '' ? null : name;
}
