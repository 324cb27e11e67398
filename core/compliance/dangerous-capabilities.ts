// Some capabilities are root on the node by another name: each of these has a known path out of
// the container (mount, kernel modules, ptrace of host processes, raw devices, eBPF).
import { containerViolations } from './k8s';
import { capsAdded } from './capabilities';
import type { ComplianceCheck } from './types';

/** Why each counts: what it gives a process that breaks in. */
export const DANGEROUS: Record<string, string> = {
  ALL: 'every capability',
  SYS_ADMIN: 'mount, namespaces, most of root',
  NET_ADMIN: 'the pod network: routes, firewall, interfaces',
  SYS_PTRACE: 'reading and steering other processes',
  SYS_MODULE: 'loading kernel modules',
  SYS_RAWIO: 'raw I/O to devices and memory',
  DAC_READ_SEARCH: 'open_by_handle_at, the "shocker" escape',
  BPF: 'loading eBPF programs into the kernel',
  PERFMON: 'kernel performance monitoring, a BPF companion',
  SYS_BOOT: 'rebooting the node',
  MAC_ADMIN: 'changing the AppArmor/SELinux policy',
  MAC_OVERRIDE: 'bypassing the AppArmor/SELinux policy',
};

export const dangerousCapabilities: ComplianceCheck = {
  id: 'dangerous-capabilities',
  severity: 'warning',
  help:
    'A container whose securityContext.capabilities.add holds ALL, SYS_ADMIN or NET_ADMIN (Polaris dangerousCapabilities), or ' +
    'SYS_PTRACE, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH, BPF, PERFMON, SYS_BOOT, MAC_ADMIN or MAC_OVERRIDE: each has a known ' +
    'way out of the container or onto the node, and none is among the capabilities Pod Security "baseline" allows. Names are ' +
    'compared case-insensitively, with or without CAP_. Fires once per container (init containers too), naming the ' +
    'capabilities. Not fired: the baseline ones (NET_BIND_SERVICE, CHOWN, SETUID, …), NET_RAW (net-raw-not-dropped says it). ' +
    'Fix: drop ALL and add back only what the process uses; a node agent that truly needs one (a CNI, a VPN sidecar) carries ' +
    'the suppression annotation with its reason. checkov CKV_K8S_39 (SYS_ADMIN), CKV_K8S_25 (any added capability, broader); ' +
    'kube-linter has no default check (its verify-container-capabilities template can express it).',
  check(docs) {
    return containerViolations(docs, (c) => {
      const bad = [...new Set(capsAdded(c.container).filter((n) => n in DANGEROUS))];
      return bad.length
        ? { message: `container "${c.name}" adds ${bad.map((n) => `${n} (${DANGEROUS[n]})`).join(', ')}`, field: ['securityContext', 'capabilities', 'add'] }
        : undefined;
    });
  },
};
