#!/usr/bin/env node
// Entry point: runs the TypeScript sources through tsx, so `npx infra-implementor` works after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../client/cli.ts');
process.exitCode = await main(process.argv.slice(2));
