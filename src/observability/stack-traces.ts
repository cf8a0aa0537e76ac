// The rule moved to src/errors/stack-traces.ts; this path stays only while src/http/fast-path.ts
// imports it from here.
export { withoutStackTrace } from '../errors/stack-traces.js';
