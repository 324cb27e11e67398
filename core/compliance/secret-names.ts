// What names a secret and what holds one, shared by secret-in-env and secret-in-configmap: a name
// whose words say it is a password, token, key or credential, and a literal value that is not merely
// a reference, a path or a switch.
import { SECRET_REFERENCE } from './plaintext-secret';

/** Words that, last in a name, say the value is the secret itself (`DB_PASSWORD`, `GITHUB_TOKEN`, `tls.key`). */
const SECRET_LAST = new Set(['PASSWORD', 'PASSWD', 'PWD', 'PASS', 'TOKEN', 'SECRET', 'KEY', 'CREDENTIAL', 'CREDENTIALS', 'APIKEY', 'PASSPHRASE', 'PRIVATEKEY', 'SECRETKEY']);
/** Words that say so anywhere in a name (`SECRET_KEY_BASE`), unless the last word names something else. */
const SECRET_ANYWHERE = new Set(['PASSWORD', 'PASSWD', 'SECRET', 'SECRETKEY', 'CREDENTIAL', 'CREDENTIALS', 'PASSPHRASE', 'APIKEY', 'PRIVATEKEY']);
/** Last words of a name that point at a secret or describe it rather than hold it (`KEY_FILE`, `TOKEN_PATH`, `DB_SECRET_NAME`). */
const NAMES_ELSEWHERE = new Set([
  'FILE', 'FILES', 'PATH', 'DIR', 'DIRECTORY', 'NAME', 'NAMES', 'REF', 'MOUNT', 'LOCATION', 'URL', 'URI', 'ENDPOINT', 'HOST', 'PORT',
  'ID', 'TYPE', 'ENABLED', 'DISABLED', 'TTL', 'EXPIRY', 'EXPIRATION', 'LENGTH', 'TIMEOUT', 'HEADER', 'FIELD', 'PREFIX', 'SUFFIX',
  'MODE', 'ALGORITHM', 'VERSION', 'PROVIDER', 'KIND', 'POLICY', 'USER', 'USERNAME', 'LOGIN', 'ROTATION', 'REFRESH', 'INTERVAL',
]);
/**
 * `…_KEY` names that are not secrets: a public key, a cache or sort key. An S3-style ACCESS_KEY
 * (AWS, MinIO) is the public half of a pair, the user name beside its SECRET_KEY.
 */
const HARMLESS_KEY = new Set(['PUBLIC', 'PUB', 'CACHE', 'SORT', 'PARTITION', 'ROUTING', 'PRIMARY', 'FOREIGN', 'LOOKUP', 'GROUP']);

/** The words of a name, upper case: `dbPassword`, `db-password`, `DB_PASSWORD`, `db.password` → DB, PASSWORD. */
export function nameWords(name: string): string[] {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase().split(/[^A-Z0-9]+/).filter(Boolean);
  // Pairs written as one word elsewhere: API_KEY is APIKEY, PRIVATE_KEY is PRIVATEKEY.
  const out: string[] = [];
  for (const w of words) {
    const prev = out[out.length - 1];
    if (w === 'KEY' && (prev === 'API' || prev === 'PRIVATE' || prev === 'SECRET' || prev === 'ACCESS')) out[out.length - 1] = `${prev}KEY`;
    else out.push(w);
  }
  return out;
}

/** True when a variable or key name says its value is a secret. */
export function namesASecret(name: string): boolean {
  const words = nameWords(name);
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (last === 'KEY') return words.length > 1 && !HARMLESS_KEY.has(words[words.length - 2] ?? '');
  if (SECRET_LAST.has(last)) return true;
  return !NAMES_ELSEWHERE.has(last) && words.some((w) => SECRET_ANYWHERE.has(w));
}

/** A Kubernetes `$(VAR)` or shell/Flux `${VAR}` expansion: the value comes from elsewhere. */
const EXPANSION = /\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-=][^}]*)?\}/;
const PATH = /^(\/|\.\.?\/|~\/|file:\/\/)\S*$/;
const SWITCH = /^(true|false|yes|no|on|off|enabled|disabled|0|1)$/i;

/** Why a literal value is clearly no secret (empty, a reference, a path, a switch), or undefined when it may be one. */
export function notASecret(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return 'empty';
  if (SECRET_REFERENCE.test(v) || EXPANSION.test(v)) return 'a reference';
  if (PATH.test(v)) return 'a path';
  if (SWITCH.test(v)) return 'a switch';
  return undefined;
}
