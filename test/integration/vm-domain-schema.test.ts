import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/mariadb/binaries.js';
import { renderDomainXml } from '../../src/vm/domain-xml.js';
import { runTool } from '../../src/vm/tools.js';
import { fetchLibvirtSchema, type LibvirtSchema } from '../helpers/libvirt-schema.js';
import { regularSpec, tdSpec } from '../helpers/vm-spec.js';

const xmllint = await findExecutable('xmllint');
if (!xmllint && process.env.MARIADB_TDX_REQUIRE_INTEGRATION) {
  throw new Error('xmllint is not installed; install libxml2-utils with scripts/setup.sh');
}
// The schema of the installed libvirt (9.0 on Debian 12), which has no TDX.
const DEBIAN12_SCHEMA = '/usr/share/libvirt/schemas/domain.rng';
const installedSchema = existsSync(DEBIAN12_SCHEMA);

async function validate(rng: string, xml: string, dir: string) {
  const file = join(dir, `domain-${Math.random().toString(36).slice(2)}.xml`);
  await writeFile(file, xml);
  const result = await runTool(xmllint!, ['--noout', '--relaxng', rng, file]);
  return { valid: result.code === 0, output: result.stderr };
}

describe.skipIf(!xmllint)('generated domain XML against libvirt schemas', () => {
  let schema: LibvirtSchema;
  let dir: string;

  beforeAll(async () => {
    schema = await fetchLibvirtSchema();
    dir = await mkdtemp(join(tmpdir(), 'mariadb-tdx-schema-'));
  }, 300_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('validates the upstream TD against a libvirt release with TDX', async () => {
    expect(Number(schema.version.split('.')[0])).toBeGreaterThanOrEqual(11);
    const result = await validate(schema.domainRng, renderDomainXml(tdSpec(), 'upstream'), dir);
    expect(result.output).toMatch(/validates/);
    expect(result.valid).toBe(true);
  });

  it('validates the regular VM against the same release', async () => {
    const result = await validate(
      schema.domainRng,
      renderDomainXml(regularSpec({ accel: 'tcg' }), 'upstream'),
      dir,
    );
    expect(result.valid).toBe(true);
  });

  it('fails the canonical TD on the vsock service that upstream lacks', async () => {
    const spec = tdSpec({
      td: { ...tdSpec().td!, quoteGenerationService: { type: 'vsock', cid: 2, port: 4050 } },
    });
    const result = await validate(schema.domainRng, renderDomainXml(spec, 'canonical'), dir);
    expect(result.valid).toBe(false);
  });

  it.skipIf(!installedSchema)(
    'fails the TD against the Debian 12 schema, which predates TDX',
    async () => {
      const result = await validate(DEBIAN12_SCHEMA, renderDomainXml(tdSpec(), 'upstream'), dir);
      expect(result.valid).toBe(false);
      expect(result.output).toMatch(/launchSecurity/);
    },
  );

  it.skipIf(!installedSchema)('validates the regular VM against the Debian 12 schema', async () => {
    const result = await validate(
      DEBIAN12_SCHEMA,
      renderDomainXml(regularSpec({ accel: 'tcg' }), 'upstream'),
      dir,
    );
    expect(result.valid).toBe(true);
  });
});
