// Reading ports: a container's declared ports, and whether an IntOrString port names or numbers one.
// Shared by probe-port-undeclared and service-target-port-undeclared.
import { arr, get, str } from '../yaml-docs';
import { containers, type Obj } from './k8s';

/** A port given as a name (`http`) or a number (8080, or the string "8080"). */
export type PortRef = { name: string } | { number: number };

export function portRef(v: unknown): PortRef | undefined {
  if (typeof v === 'number') return { number: v };
  const s = str(v)?.trim();
  if (!s) return undefined;
  return /^\d+$/.test(s) ? { number: Number(s) } : { name: s };
}

export const portText = (p: PortRef): string => ('name' in p ? `"${p.name}"` : String(p.number));

export interface DeclaredPorts { names: Set<string>; numbers: Set<number> }

/** The ports a container declares (ports[].name and containerPort). */
export function declaredPorts(container: Obj): DeclaredPorts {
  const out: DeclaredPorts = { names: new Set(), numbers: new Set() };
  for (const p of arr(container.ports)) {
    const name = str(get(p, 'name'));
    const number = get(p, 'containerPort');
    if (name) out.names.add(name);
    if (typeof number === 'number') out.numbers.add(number);
  }
  return out;
}

/** The ports every container (not init) of a workload declares, together. */
export function podPorts(o: Obj): DeclaredPorts {
  const out: DeclaredPorts = { names: new Set(), numbers: new Set() };
  for (const c of containers(o, { init: false })) {
    const d = declaredPorts(c.container);
    d.names.forEach((n) => out.names.add(n));
    d.numbers.forEach((n) => out.numbers.add(n));
  }
  return out;
}
