// What `require('@dpo-ts/cli')` resolves to: the package is ESM-only, and says so.
const error = new Error(
  "@dpo-ts/cli is ESM-only and cannot be loaded with require(). Use `import { ... } from '@dpo-ts/cli'` " +
    '(an ES module: "type": "module" in package.json, or a .mjs/.mts file), or `await import(\'@dpo-ts/cli\')` ' +
    'from CommonJS. Node >= 20.19 is required.',
);
error.code = 'ERR_REQUIRE_ESM';
throw error;
