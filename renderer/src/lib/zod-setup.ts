import { config } from 'zod';

// Zod probes whether it may compile validators with Function() when a schema is created; the CSP
// forbids eval and reports the refused probe as a violation. This module is imported before any
// schema exists (first import of main.ts), so the probe never runs.
config({ jitless: true });
