import './lib/zod-setup.js';
import { mount, unmount } from 'svelte';
import './app.css';
import App from './App.svelte';
import './lib/state/theme.svelte.js';
import { chooseClient, rememberToken } from './lib/transport/select.js';
import TokenGate from './views/TokenGate.svelte';

const target = document.getElementById('app')!;

function start(): void {
  const client = chooseClient();
  if (client) {
    mount(App, { target, props: { client } });
    return;
  }
  const gate = mount(TokenGate, {
    target,
    props: {
      onconnect(token: string) {
        rememberToken(sessionStorage, token);
        void unmount(gate);
        start();
      },
    },
  });
}

start();
