// The one redactor, on the shapes secrets take in an infrastructure repository: each must be hidden
// with its keys and structure kept, and nothing else may be touched. One fixture per rule, with a
// text that must come back unchanged beside it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  applySpans, redactText, secretGeneratorSources, secretSpans, trackedValues, viewToRaw, type SecretSources,
} from '../core/redact';

const view = (file: string, text: string, sources?: SecretSources) => applySpans(text, secretSpans(file, text, sources)).text;

describe('the redactor', () => {
  it('hides the values of a Secret\'s data and stringData (plain, quoted, block, flow), keeping keys and valid YAML', () => {
    const text = [
      'apiVersion: v1', 'kind: Secret', 'metadata:', '  name: db', 'type: Opaque',
      'stringData:', '  password: hunter2-the-password', '  quoted: "two words"', '  cert: |', '    -----line one', '    -----line two',
      'data: {token: dG9rZW4tdmFsdWU=}', '',
    ].join('\n');
    const shown = view('apps/db.yaml', text);
    assert.ok(!/hunter2|two words|line one|dG9rZW4/.test(shown), shown);
    assert.match(shown, /password: "<redacted: 20 characters>"/);
    assert.match(shown, /quoted: "<redacted: 11 characters>"/);
    assert.match(shown, /cert: "<redacted: \d+ characters>"\ndata:/);
    const parsed = parse(shown) as { metadata: { name: string }; stringData: Record<string, string>; data: Record<string, string> };
    assert.equal(parsed.metadata.name, 'db');
    assert.deepEqual(Object.keys(parsed.stringData), ['password', 'quoted', 'cert']);
    assert.deepEqual(Object.keys(parsed.data), ['token']);
  });

  it('leaves a ConfigMap, a Deployment and a Secret\'s metadata alone; finds Secrets inside a List and across documents', () => {
    const plain = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  password: not-a-secret-here\n';
    assert.equal(view('c.yaml', plain), plain);
    const list = `${plain}---\nkind: List\nitems:\n  - kind: Secret\n    metadata: {name: s}\n    stringData:\n      key: listed-secret-value\n`;
    const shown = view('l.yaml', list);
    assert.ok(shown.startsWith(plain));
    assert.match(shown, /key: "<redacted: 19 characters>"/);
  });

  it('hides SOPS values, private keys and age keys anywhere, and SealedSecret encryptedData', () => {
    const sops = 'stringData:\n  password: ENC[AES256_GCM,data:Zm9v,iv:YmFy,tag:YmF6,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n';
    assert.doesNotMatch(view('s.yaml', sops), /ENC\[/);
    const key = 'id: x\nkey: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n  b3BlbnNzaC1rZXktdjE=\n  -----END OPENSSH PRIVATE KEY-----\n';
    assert.doesNotMatch(view('deploy.md', key), /b3BlbnNzaC|BEGIN/);
    assert.match(view('k.txt', 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n'), /^<redacted: \d+ characters>\n$/);
    const sealed = 'apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  encryptedData:\n    password: AgBy3i4OJSWK+PiTySYZZA==\n';
    assert.match(view('sealed.yaml', sealed), /password: "<redacted: \d+ characters>"/);
  });

  it('hides kubeconfig credentials, .env values and kustomize secretGenerator literals and sources', () => {
    const kubeconfig = 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://k8s"}\nusers:\n- name: u\n  user:\n    token: kube-token-abcdef\n    client-key-data: a2V5LWRhdGE=\n';
    const shown = view('kubeconfig.yaml', kubeconfig);
    assert.ok(!/kube-token|a2V5/.test(shown));
    assert.match(shown, /server: "https:\/\/k8s"/, 'the server is no secret');
    assert.equal(view('app/.env', '# comment\nDB_PASSWORD=s3cr3t-value\nEMPTY=\n'), '# comment\nDB_PASSWORD=<redacted: 12 characters>\nEMPTY=\n');
    const kustomization = 'secretGenerator:\n  - name: creds\n    literals:\n      - username=admin-user\n      - "password=quoted-pass"\n    files:\n      - tls.key\n      - cert=certs/tls.crt\n    envs:\n      - db.env\n';
    const shownGenerator = view('apps/kustomization.yaml', kustomization);
    assert.match(shownGenerator, /- "username=<redacted: 10 characters>"\n {6}- "password=<redacted: 11 characters>"/);
    assert.deepEqual((parse(shownGenerator) as { secretGenerator: { literals: string[] }[] }).secretGenerator[0]?.literals, ['username=<redacted: 10 characters>', 'password=<redacted: 11 characters>'], 'still valid YAML');
    const sources = secretGeneratorSources('apps/kustomization.yaml', kustomization);
    assert.deepEqual(sources, { files: ['apps/tls.key', 'apps/certs/tls.crt'], envs: ['apps/db.env'] });
    const s: SecretSources = { files: new Set(sources.files), envs: new Set(sources.envs) };
    assert.equal(view('apps/tls.key', 'anything at all\n', s), '<redacted: 16 characters>');
    assert.equal(view('apps/db.env', 'URL=postgres://u:p@db/x\n', s), 'URL=<redacted: 19 characters>\n');
  });

  it('tracks the values (and a base64 value decoded) so that any other text is cleaned of them', () => {
    const text = 'kind: Secret\nstringData:\n  password: tracked-password-1\ndata:\n  token: dHJhY2tlZC10b2tlbi0y\n';
    const values = trackedValues(text, secretSpans('s.yaml', text));
    assert.ok(values.includes('tracked-password-1') && values.includes('tracked-token-2'), values.join(','));
    const enc = 'ENC[AES256_GCM,data:abc,iv:d,tag:e,type:str]';
    const out = redactText(`error: could not apply "tracked-password-1" (decoded: tracked-token-2); ${enc}`, values);
    assert.equal(out, `error: could not apply "<redacted: 18 characters>" (decoded: <redacted: 15 characters>); <redacted: ${enc.length} characters>`);
  });

  it('maps an edit of the view back to the raw text, and refuses one that touches a hidden value', () => {
    const raw = 'kind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-hunter2\ntype: Opaque\n';
    const v = applySpans(raw, secretSpans('s.yaml', raw));
    const at = v.text.indexOf('name: db');
    const mapped = viewToRaw(v, at, at + 'name: db'.length);
    assert.equal(raw.slice(mapped?.start, mapped?.end), 'name: db');
    const after = v.text.indexOf('type: Opaque');
    const back = viewToRaw(v, after, after + 12);
    assert.equal(raw.slice(back?.start, back?.end), 'type: Opaque');
    const hidden = v.text.indexOf('<redacted');
    assert.equal(viewToRaw(v, hidden - 10, hidden + 3), undefined);
  });
});
