import http from 'node:http';

/**
 * The upstream of the proxy benchmark, in its own process so that neither the proxy nor the load
 * generator shares its event loop: an OpenAI-style chat endpoint that answers after `delayMs` (JSON with
 * usage; 0 = at once), or streams `chunks` SSE chunks `gapMs` apart ending in a usage chunk. Started with fork();
 * sends { port } once listening.
 */
const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 120, completion_tokens: 12, total_tokens: 132, prompt_tokens_details: { cached_tokens: 100 } },
});

function chunk(index: number, content: string): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-model', choices: [{ index, delta: { content }, finish_reason: null }] })}\n\n`;
}

const server = http.createServer((request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { stream?: boolean; chunks?: number; gapMs?: number; delayMs?: number };
    if (!body.stream) {
      const answer = () => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(COMPLETION) });
        response.end(COMPLETION);
      };
      if (body.delayMs) setTimeout(answer, body.delayMs);
      else answer();
      return;
    }
    const chunks = body.chunks ?? 20;
    const gapMs = body.gapMs ?? 10;
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let sent = 0;
    const send = () => {
      if (sent < chunks) {
        response.write(chunk(0, `t${sent} `));
        sent++;
        setTimeout(send, gapMs);
        return;
      }
      response.write(`data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 120, completion_tokens: chunks, total_tokens: 120 + chunks } })}\n\n`);
      response.end('data: [DONE]\n\n');
    };
    send();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => process.exit(0));
