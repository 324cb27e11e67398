// An image without a tag, or tagged `latest`, changes under a running Deployment: rollbacks and
// audits cannot say what ran. A digest pins it best.
import { str } from '../yaml-docs';
import { containerViolations } from './k8s';
import type { ComplianceCheck } from './types';

/** The tag of an image reference, ignoring a registry port (`host:5000/app`); undefined when untagged. */
export function imageTag(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  return colon < 0 ? undefined : lastSegment.slice(colon + 1);
}

export const imageLatestOrUntagged: ComplianceCheck = {
  id: 'image-latest-or-untagged',
  severity: 'warning',
  help: 'Pin each container image to a version tag (or a digest, `@sha256:…`); `latest` and untagged images move under a running workload.',
  check(docs) {
    return containerViolations(docs, (c) => {
      const image = str(c.container.image);
      if (!image || image.includes('@')) return undefined;
      const tag = imageTag(image);
      if (tag === undefined) return { message: `container "${c.name}" image ${image} has no tag`, field: ['image'] };
      return tag === 'latest' ? { message: `container "${c.name}" image ${image} uses the latest tag`, field: ['image'] } : undefined;
    });
  },
};
