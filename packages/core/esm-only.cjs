// What `require('@dpo-ts/core')` resolves to: the package is ESM-only, and says so.
const error = new Error(
  "@dpo-ts/core is ESM-only and cannot be loaded with require(). Use `import { ... } from '@dpo-ts/core'` " +
    '(an ES module: "type": "module" in package.json, or a .mjs/.mts file), or `await import(\'@dpo-ts/core\')` ' +
    'from CommonJS. Node >= 20.19 is required.',
);
error.code = 'ERR_REQUIRE_ESM';
throw error;
