// In production a tag can be moved to other bytes (re-pushed, or a registry compromise); only a
// digest (`@sha256:…`) says exactly what runs. Elsewhere tags are fine.
import { str } from '../yaml-docs';
import { containerViolations } from './k8s';
import type { ComplianceCheck } from './types';

export const imageNotPinned: ComplianceCheck = {
  id: 'image-not-pinned',
  severity: 'warning',
  help: 'In production overlays, pin each image by digest (`image: repo/app:1.2.3@sha256:…`; kustomize `images:` takes a digest too).',
  check(docs, ctx) {
    if (!ctx.production) return [];
    return containerViolations(docs, (c) => {
      const image = str(c.container.image);
      return image && !image.includes('@sha256:') ? { message: `container "${c.name}" image ${image} is not pinned by digest in a production overlay`, field: ['image'] } : undefined;
    });
  },
};
