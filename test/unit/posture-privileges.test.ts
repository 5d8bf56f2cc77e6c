import { describe, expect, it } from 'vitest';
import { mysqlSchemaGrants } from '../../src/posture/catalogue/privileges.js';
import { replicationTls } from '../../src/posture/catalogue/replication.js';
import { selectChecks } from '../../src/posture/runner.js';
import type { CheckContext, Row } from '../../src/posture/types.js';
import { parseServerVersion } from '../../src/posture/version.js';

const CONTEXT: CheckContext = {
  version: parseServerVersion('10.11.19-MariaDB-log'),
  now: new Date('2026-12-04T12:00:00Z'),
  host: undefined,
};

const grant = (grantee: string, checker: number, selectOnly: number): Row => ({
  GRANTEE: grantee,
  checker: BigInt(checker),
  select_only: BigInt(selectOnly),
});

describe('H11 grants on the mysql schema', () => {
  it('passes with no grants', async () => {
    expect(await mysqlSchemaGrants.evaluate([], CONTEXT)).toEqual({
      status: 'pass',
      observed: 'none',
    });
  });

  it("leaves out the checking account's SELECT and says so", async () => {
    const rows = [grant("'mon'@'10.0.0.7' on mysql.*", 1, 1)];
    const verdict = await mysqlSchemaGrants.evaluate(rows, CONTEXT);
    expect(verdict.status).toBe('pass');
    expect(verdict.observed).toContain("'mon'@'10.0.0.7' on mysql.*");
    expect(verdict.note).toMatch(/account running the check needs SELECT/);
  });

  it('counts the checking account when it holds more than SELECT', async () => {
    const rows = [
      grant("'mon'@'10.0.0.7' on mysql.*", 1, 1),
      grant("'mon'@'10.0.0.7' on mysql.global_priv", 1, 0),
    ];
    const verdict = await mysqlSchemaGrants.evaluate(rows, CONTEXT);
    expect(verdict.status).toBe('fail');
    expect(verdict.observed).toBe(
      "'mon'@'10.0.0.7' on mysql.*, 'mon'@'10.0.0.7' on mysql.global_priv",
    );
  });

  it('counts the SELECT of every other account', async () => {
    const rows = [
      grant("'mon'@'10.0.0.7' on mysql.*", 1, 1),
      grant("'app'@'10.0.0.8' on mysql.*", 0, 1),
    ];
    const verdict = await mysqlSchemaGrants.evaluate(rows, CONTEXT);
    expect(verdict.status).toBe('fail');
    expect(verdict.observed).toBe("'app'@'10.0.0.8' on mysql.*");
  });
});

describe('T08 without SLAVE MONITOR', () => {
  const fallback = replicationTls.whenDenied!;
  const judge = (running: string, position: string) =>
    fallback.evaluate([{ slaves_running: running, gtid_slave_pos: position }], CONTEXT);

  it('names the privilege it lacks', () => {
    expect(fallback.privilege).toBe('SLAVE MONITOR');
    expect(fallback.sql).toMatch(/SLAVES_RUNNING/);
    expect(fallback.sql).toMatch(/gtid_slave_pos/);
  });

  it('is not applicable when no channel runs or has applied events', () => {
    const verdict = judge('0', '');
    expect(verdict.status).toBe('not_applicable');
    expect(verdict.note).toMatch(/cannot be seen/);
  });

  it('warns when the server has replicated before', () => {
    const verdict = judge('0', '0-1-42');
    expect(verdict.status).toBe('warn');
    expect(verdict.observed).toContain('gtid_slave_pos=0-1-42');
    expect(verdict.advice).toMatch(/GRANT SLAVE MONITOR/);
  });

  it('ends in error while channels run unseen', () => {
    const verdict = judge('2', '0-1-42');
    expect(verdict.status).toBe('error');
    expect(verdict.observed).toMatch(/^2 replication channels run/);
    expect(verdict.advice).toMatch(/GRANT SLAVE MONITOR/);
  });
});

describe('selectChecks', () => {
  it('returns the catalogue without a list', () => {
    expect(selectChecks(undefined).length).toBeGreaterThanOrEqual(50);
  });

  it('rejects a list without ids', () => {
    for (const only of [[], [''], [' ', '']]) {
      expect(() => selectChecks(only)).toThrow(
        expect.objectContaining({ code: 'NO_CHECK_SELECTED' }),
      );
    }
  });

  it('rejects an unknown id', () => {
    expect(() => selectChecks(['T01', 'Z99'])).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_CHECK' }),
    );
  });

  it('accepts ids in any case, in catalogue order', () => {
    expect(selectChecks(['e07', ' T01 ']).map((check) => check.id)).toEqual(['T01', 'E07']);
  });
});
