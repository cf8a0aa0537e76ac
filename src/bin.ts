#!/usr/bin/env node
/**
 * The package's `bin`, `circle-wallets-gateway`: the same composition root as `npm start`, read
 * from the environment in the same way. A file of its own so the entry the shell runs carries the
 * `#!` line and `src/index.ts` stays importable as plain code.
 */
import './index.js';
