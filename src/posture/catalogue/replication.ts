import { listNames } from '../rules.js';
import type { ErrorVerdict, PostureCheck, Row, Verdict } from '../types.js';
import { versionAtLeast } from '../version.js';

export const replicationTls: PostureCheck = {
  id: 'T08',
  group: 'transport',
  title: 'replication connections use verified TLS',
  severity: 'high',
  // SHOW ALL REPLICAS STATUS is the 10.5.1 name; older servers know only the SLAVES form.
  sql: (version) =>
    versionAtLeast(version, 10, 5, 1) ? 'SHOW ALL REPLICAS STATUS' : 'SHOW ALL SLAVES STATUS',
  expected: 'Master_SSL_Allowed=Yes and Master_SSL_Verify_Server_Cert=Yes on every channel',
  advice:
    "CHANGE MASTER 'name' TO MASTER_SSL=1, MASTER_SSL_CA='/path/ca.pem', " +
    'MASTER_SSL_VERIFY_SERVER_CERT=1',
  risk: 'the replication stream carries every changed row and the replication password',
  baseline: 'open',
  evaluate: (rows) => {
    const channels = rows.filter((row) => String(row.Master_Host ?? '') !== '');
    if (channels.length === 0) {
      return { status: 'not_applicable', observed: 'no replication channels' };
    }
    const unsafe = channels
      .filter(
        (row) => row.Master_SSL_Allowed !== 'Yes' || row.Master_SSL_Verify_Server_Cert !== 'Yes',
      )
      .map(describeChannel);
    return unsafe.length === 0
      ? { status: 'pass', observed: `${channels.length} channels with verified TLS` }
      : { status: 'fail', observed: listNames(unsafe) };
  },
  whenDenied: {
    // REPLICA MONITOR is another name for the same privilege; SHOW GRANTS prints SLAVE MONITOR.
    privilege: 'SLAVE MONITOR',
    sql:
      'SELECT VARIABLE_VALUE AS slaves_running, @@gtid_slave_pos AS gtid_slave_pos ' +
      "FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SLAVES_RUNNING'",
    evaluate: judgeReplicationWithoutChannels,
  },
};

const GRANT_SLAVE_MONITOR =
  'GRANT SLAVE MONITOR ON *.* to the account running the check, then run it again';

/**
 * Judges replication from what any account may read: the number of running replication
 * channels and the GTID position that applied replication events leave behind. Stopped channels
 * stay invisible, so a server that has replicated before gets a warning rather than a pass.
 */
function judgeReplicationWithoutChannels(rows: readonly Row[]): Verdict | ErrorVerdict {
  const running = Number(rows[0]?.slaves_running ?? 0);
  const position = String(rows[0]?.gtid_slave_pos ?? '');
  if (running > 0) {
    return {
      status: 'error',
      observed: `${running} replication ${running === 1 ? 'channel runs' : 'channels run'}, but their TLS settings are hidden`,
      advice: GRANT_SLAVE_MONITOR,
    };
  }
  if (position !== '') {
    return {
      status: 'warn',
      observed: `no channel runs, but gtid_slave_pos=${position} shows that this server replicated before`,
      advice: GRANT_SLAVE_MONITOR,
      note: 'stopped replication channels cannot be seen',
    };
  }
  return {
    status: 'not_applicable',
    observed: 'no replication channel runs and none has applied events',
    note: 'a channel that was configured but never started cannot be seen',
  };
}

function describeChannel(row: Row): string {
  const name = String(row.Connection_name ?? '') || 'default';
  const tls = row.Master_SSL_Allowed === 'Yes' ? 'certificate not verified' : 'no TLS';
  return `${name} to ${String(row.Master_Host)}: ${tls}`;
}
