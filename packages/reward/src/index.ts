/**
 * `@dpo-ts/reward`: Bradley-Terry reward models for dpo-ts. Item-level Bradley-Terry
 * maximum-likelihood fits (with home advantage and ties) and sequence reward models.
 * @packageDocumentation
 */
export * from './bradley-terry/index.js';
