/** What `/` answers when the dashboard is not built (`npm run build`): where the API is and how to call it. */
export function landingPage(version: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ModelMeter</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}
code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px}pre{padding:.8rem;overflow:auto}</style></head>
<body><h1>ModelMeter ${escapeHtml(version)}</h1>
<p>The ledger is running. Its HTTP API is at <code>/api/v1</code>; every call needs the token printed at start
(<code>Authorization: Bearer &lt;token&gt;</code>). The dashboard is not built: run <code>npm run build</code> and restart.</p>
<pre>curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:7423/api/v1/summary</pre>
<p>Health: <a href="/healthz">/healthz</a></p></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
