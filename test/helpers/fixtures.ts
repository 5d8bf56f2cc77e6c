import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Directory of the TDX quote fixtures: MARIADB_TDX_FIXTURES, else `../shared/fixtures/tdx`
 * beside the repository. They are read in place and never copied into the project.
 */
export const TDX_FIXTURES_DIR =
  process.env.MARIADB_TDX_FIXTURES ?? join(repoRoot, '..', 'shared', 'fixtures', 'tdx');

/** Absolute path of one fixture file; throws when the fixtures are not present. */
export function tdxFixture(relativePath: string): string {
  const path = join(TDX_FIXTURES_DIR, relativePath);
  if (!existsSync(path)) {
    throw new Error(
      `fixture ${path} is missing; set MARIADB_TDX_FIXTURES to the fixtures directory`,
    );
  }
  return path;
}
