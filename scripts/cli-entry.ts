// The entry of the production build (scripts/build.ts → dist/infra-implementor.mjs): what
// bin/infra-implementor.js does once tsx is registered, compiled ahead of time instead.
import { main } from '../client/cli';

process.exitCode = await main(process.argv.slice(2));
