// The import direction of ModelMeter (README "Layout"): electron/ is four wings stacked
// hosts -> app -> sources -> ledger (and app -> ledger); nothing imports upward and nothing goes in
// a circle. `npm run lint` runs this with `depcruise`, so CI fails on an upward import.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle ties its files into one unit: none can be understood, tested or moved alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'ledger-imports-no-wing',
      severity: 'error',
      comment: 'The ledger is what the data is and how it is kept; it must not know who brings data in or serves it.',
      from: { path: '^electron/ledger/' },
      to: { path: '^electron/(sources|app|hosts)/' },
    },
    {
      name: 'sources-import-only-ledger',
      severity: 'error',
      comment: 'Sources reach the ledger through narrow ports (electron/sources/ports.ts), never through the app services or a host.',
      from: { path: '^electron/sources/' },
      to: { path: '^electron/(app|hosts)/' },
    },
    {
      name: 'app-imports-no-host',
      severity: 'error',
      comment: 'The app services implement shared/api.ts for every host; a host-specific import would tie them to one.',
      from: { path: '^electron/app/' },
      to: { path: '^electron/hosts/' },
    },
    {
      name: 'electron-files-live-in-a-wing',
      severity: 'error',
      comment: 'Every file under electron/ belongs to one of the four wings, so the folders show the layers.',
      from: { path: '^electron/(?!(ledger|sources|app|hosts)/)' },
      to: {},
    },
    {
      name: 'shared-imports-no-side',
      severity: 'error',
      comment: 'shared/ is the contract both sides build on; it cannot depend on either of them.',
      from: { path: '^shared/' },
      to: { path: '^(electron|renderer)/' },
    },
    {
      name: 'renderer-not-electron',
      severity: 'error',
      comment: 'The renderer runs in a sandboxed page and talks to the core only through shared/ and its transport.',
      from: { path: '^renderer/' },
      to: { path: '^electron/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import the cruiser cannot resolve is an arrow nobody checks.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|release|coverage|test-results)/' },
    // Type-only imports tie modules together too: they count for circles and for direction.
    tsPreCompilationDeps: true,
    // Resolves the code's `.js` specifiers to the `.ts` sources, as the compiler does.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types', 'svelte'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.svelte', '.json', '.d.ts'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
