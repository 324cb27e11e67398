// An overlay that does not build deploys nothing; Flux stops the whole Kustomization. The build
// itself runs in the validation engine, which hands its error over in the context.
import type { ComplianceCheck } from './types';

export const kustomizeBuildFailed: ComplianceCheck = {
  id: 'kustomize-build-failed',
  severity: 'error',
  help:
    'The overlay must build with `kustomize build` (or `kubectl kustomize`). The message carries the tool\'s ' +
    'error: usually a missing resource file, a patch whose target does not exist, or a duplicate resource id.',
  check(_docs, ctx) {
    return ctx.buildError === undefined ? [] : [{ message: `does not build: ${ctx.buildError}` }];
  },
};
