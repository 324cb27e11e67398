// Standalone entry for `check`, for tests and CI without the full CLI:
// node --import tsx client/check-main.ts <dir> [--format text|json|sarif] [--kube-version V] [--flux-version V] [--strict]
import { runCheckCommand, type CheckFormat } from './check';

const args = process.argv.slice(2);
const i = args.indexOf('--format');
const format = (i >= 0 ? args[i + 1] : 'text') as CheckFormat;
const k = args.indexOf('--kube-version');
const kubeVersion = k >= 0 ? args[k + 1] : undefined;
const fv = args.indexOf('--flux-version');
const fluxVersion = fv >= 0 ? args[fv + 1] : undefined;
const c = args.indexOf('--chart-dir');
const chartDir = c >= 0 ? args[c + 1] : undefined;
const positional = args.filter((a, j) => !a.startsWith('--') && ![i, k, fv, c].some((x) => x >= 0 && j === x + 1));
const dir = positional.length === 1 ? positional[0] : undefined;
if (!dir) {
  process.stderr.write('usage: check-main.ts <dir> [--format text|json|sarif]\n');
  process.exitCode = 2;
} else {
  process.exitCode = await runCheckCommand(dir, { format, strict: args.includes('--strict'), ...(kubeVersion !== undefined ? { kubeVersion } : {}), ...(fluxVersion !== undefined ? { fluxVersion } : {}), chartDir, offline: args.includes('--offline') });
}
