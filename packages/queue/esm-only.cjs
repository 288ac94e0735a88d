// What `require('@dpo-ts/queue')` resolves to: the package is ESM-only, and says so.
const error = new Error(
  "@dpo-ts/queue is ESM-only and cannot be loaded with require(). Use `import { ... } from '@dpo-ts/queue'` " +
    '(an ES module: "type": "module" in package.json, or a .mjs/.mts file), or `await import(\'@dpo-ts/queue\')` ' +
    'from CommonJS. Node >= 20.19 is required.',
);
error.code = 'ERR_REQUIRE_ESM';
throw error;
