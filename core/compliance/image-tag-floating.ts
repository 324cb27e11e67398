// A tag that names no release — `alpine`, `stable`, `lts`, a major version alone (`7`, `16-alpine`)
// — is moved by its publisher to new bytes: two nodes may run different code under one manifest,
// and a restart upgrades silently. A release tag (`1.25.3`, `v2.1`, a date, a commit) or a digest
// does not float. `latest` and untagged images are image-latest-or-untagged's.
import { str } from '../yaml-docs';
import { imageTag } from './image-latest-or-untagged';
import { containerViolations } from './k8s';
import type { ComplianceCheck } from './types';

/** Tags that name one release: a version with a minor (`1.2`, `v1.2.3-alpine`), a date, a commit hash or a build number. */
const RELEASE = [
  /^v?\d+\.\d+/,
  /(^|[^0-9])(19|20)\d{2}[-.]?[01]\d[-.]?[0-3]\d/,
  /(^|[-_.])(sha-)?[0-9a-f]{7,40}($|[-_.])/,
  /^r?\d{3,}$/,
];

export function floatingTag(tag: string): boolean {
  return tag !== 'latest' && !RELEASE.some((re) => re.test(tag));
}

export const imageTagFloating: ComplianceCheck = {
  id: 'image-tag-floating',
  severity: 'warning',
  help:
    'Tag each image with a release (`1.25.3`, `v2.1.0`, a date or a commit) or pin a digest: tags such as `alpine`, `stable`, ' +
    '`lts` or a bare major version (`redis:7`) are moved to new releases by their publishers. Exempt: digests; `latest` and ' +
    'untagged images, which image-latest-or-untagged reports.',
  check(docs) {
    return containerViolations(docs, (c) => {
      const image = str(c.container.image);
      const tag = image ? imageTag(image) : undefined;
      // A tag still to be substituted (`${VERSION}`, `{{ .Values.tag }}`) is not judged before it is.
      if (!image || tag === undefined || /\$\{|\{\{/.test(image) || !floatingTag(tag)) return undefined;
      return { message: `container "${c.name}" image ${image} uses the floating tag ${tag}: it moves to new releases; pin a version or a digest`, field: ['image'] };
    });
  },
};
