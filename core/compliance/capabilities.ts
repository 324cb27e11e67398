// Linux capabilities as a container's securityContext lists them: names compared without the CAP_
// prefix some people write, and case-insensitively, as the runtimes accept them.
import { arr, get } from '../yaml-docs';
import type { Obj } from './k8s';

export const capName = (v: unknown): string => String(v).toUpperCase().replace(/^CAP_/, '');
export const capsAdded = (c: Obj): string[] => arr(get(c, 'securityContext', 'capabilities', 'add')).map(capName);
export const capsDropped = (c: Obj): string[] => arr(get(c, 'securityContext', 'capabilities', 'drop')).map(capName);
