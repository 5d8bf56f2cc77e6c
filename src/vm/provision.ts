import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MariadbTdxError } from '../errors.js';
import { connectLocal } from '../local/client.js';
import { readDatasetRecord, writeDatasetRecord } from '../local/datasets.js';
import { down } from '../local/down.js';
import type { BrokerKeySource } from '../local/manifest.js';
import type { RemoteAdminAccount } from '../local/remote-admins.js';
import { up, type LocalServerInfo } from '../local/up.js';
import { loadBanking } from '../dataset/load.js';
import { stateLayout } from '../mariadb/layout.js';
import { pathExists } from '../util/fs.js';
import { formatAnnouncement, type GuestAnnouncement } from './announce.js';
import { packageRoot } from './bundle.js';
import { VmError } from './errors.js';
import { checkGuest, type GuestCheckReport } from './guest-check.js';
import { runTool } from './tools.js';

/** Options of {@link provision}. */
export interface ProvisionOptions {
  readonly dir: string;
  readonly port: number;
  readonly bindAddress: string;
  readonly remoteAdmins?: readonly RemoteAdminAccount[] | undefined;
  /** Loads the banking data set once, with these generated rows and generator seed. */
  readonly dataset?: { readonly rows: number; readonly seed: number } | undefined;
  /** Installs a systemd unit that starts the server at boot; default when systemd runs. */
  readonly systemd?: boolean | undefined;
  /** Device or file that receives console announcements for the host, e.g. /dev/ttyS0. */
  readonly announce?: string | undefined;
  /**
   * Takes the keys from a key broker by attestation instead of creating a key file on the
   * guest disk. Fixed once the data directory exists, as with `up`.
   */
  readonly keySource?: BrokerKeySource | undefined;
  readonly onStep?: ((step: string) => void) | undefined;
}

/** Server, guest check and unit that {@link provision} set up. */
export interface ProvisionResult {
  readonly server: LocalServerInfo;
  readonly guest: GuestCheckReport;
  readonly datasetLoaded: boolean;
  /** Name of the systemd unit that starts the server at boot, when one was installed. */
  readonly systemdUnit: string | undefined;
}

export const SYSTEMD_UNIT = 'mariadb-tdx.service';
// Debian's MariaDB listens on port 3306 through socket activation as well as its service. The
// sockets go first, so stopping the service does not start it again.
const DISTRO_UNITS = ['mariadb.socket', 'mariadb-extra.socket', 'mariadb.service', 'mysql.service'];

/**
 * Configures an installed MariaDB inside a VM with the hardened profile, using the machinery
 * of `up`: keys, TLS material and the encrypted data directory are created in the guest and
 * never leave it. Only the CA certificate (public) is announced on the console. Running it
 * again keeps everything that exists.
 */
export async function provision(options: ProvisionOptions): Promise<ProvisionResult> {
  const say = announcer(options.announce);
  const step = (text: string) => options.onStep?.(text);
  try {
    await say({ type: 'stage', name: 'guest-check' });
    const guest = await checkGuest();
    await say({ type: 'guest-check', report: guest });

    const systemd = options.systemd ?? (await pathExists('/run/systemd/system'));
    if (systemd) await stopDistroService(step);

    await say({ type: 'stage', name: 'mariadb' });
    // Without a key source the keys are created in a key file on the guest disk, which TDX does
    // not protect. With one they stay in the TD's memory.
    const { prepareBrokerKeys, restartBrokerAgent } = await import('../kbs/local-keys.js');
    let server = await up({
      dir: options.dir,
      port: options.port,
      bindAddress: options.bindAddress,
      remoteAdmins: options.remoteAdmins,
      profile: 'hardened',
      keySource: options.keySource,
      keyProvider: prepareBrokerKeys,
      keyServiceRestarter: restartBrokerAgent,
      onStep: step,
    });

    const datasetLoaded = options.dataset
      ? await loadDatasetOnce(options.dir, options.dataset, step)
      : false;
    let systemdUnit: string | undefined;
    if (systemd) {
      server = await handOverToSystemd(options.dir, step);
      systemdUnit = SYSTEMD_UNIT;
    }

    await say({ type: 'ca', pem: await readFile(server.caFile, 'utf8') });
    await say({ type: 'ready', port: server.port, version: server.version });
    return { server, guest, datasetLoaded, systemdUnit };
  } catch (error) {
    const text =
      error instanceof MariadbTdxError ? `[${error.code}] ${error.message}` : String(error);
    await say({ type: 'failed', message: text });
    throw error;
  }
}

function announcer(target: string | undefined) {
  return async (announcement: GuestAnnouncement) => {
    if (!target) return;
    await appendFile(target, `${formatAnnouncement(announcement)}\n`).catch(() => undefined);
  };
}

async function stopDistroService(step: (text: string) => void) {
  for (const unit of DISTRO_UNITS) {
    const known = await runTool('systemctl', ['cat', unit], { timeoutMs: 30_000 }).catch(
      () => undefined,
    );
    if (known?.code !== 0) continue;
    step(`stopping and disabling the distribution's ${unit}`);
    await runTool('systemctl', ['disable', '--now', unit], { timeoutMs: 120_000 });
  }
}

async function loadDatasetOnce(
  dir: string,
  dataset: { rows: number; seed: number },
  step: (text: string) => void,
): Promise<boolean> {
  const layout = stateLayout(dir);
  const loaded = await readDatasetRecord(layout, 'banking').then(
    () => true,
    () => false,
  );
  if (loaded) return false;

  step(`loading the banking data set (${dataset.rows} generated customers)`);
  const connection = await connectLocal(dir);
  try {
    await loadBanking(connection, { rows: dataset.rows, seed: dataset.seed, replace: true });
  } finally {
    await connection.end();
  }
  await writeDatasetRecord(layout, {
    name: 'banking',
    rows: dataset.rows,
    seed: dataset.seed,
    loadedAt: new Date().toISOString(),
  });
  return true;
}

/** Renders the systemd unit that runs `up` at boot, so keys are checked before every start. */
export function renderSystemdUnit(dir: string, node: string, cli: string): string {
  return `# Written by mariadb-tdx provision.
[Unit]
Description=MariaDB with the mariadb-tdx hardened profile (${dir})
Wants=network-online.target
After=network-online.target local-fs.target
Conflicts=${DISTRO_UNITS.join(' ')}

[Service]
Type=forking
ExecStart=${node} ${cli} up --dir ${dir} --quiet
ExecStop=${node} ${cli} down --dir ${dir}
PIDFile=${stateLayout(dir).pidFile}
TimeoutStartSec=600
TimeoutStopSec=600

[Install]
WantedBy=multi-user.target
`;
}

async function handOverToSystemd(
  dir: string,
  step: (text: string) => void,
): Promise<LocalServerInfo> {
  step(`installing ${SYSTEMD_UNIT}`);
  const cli = join(packageRoot(), 'bin', 'mariadb-tdx.js');
  await writeFile(
    join('/etc/systemd/system', SYSTEMD_UNIT),
    renderSystemdUnit(stateLayout(dir).root, process.execPath, cli),
    { mode: 0o644 },
  );

  await down({ dir });
  for (const args of [['daemon-reload'], ['enable', '--now', SYSTEMD_UNIT]]) {
    const result = await runTool('systemctl', args, { timeoutMs: 600_000 });
    if (result.code !== 0) {
      throw new VmError(
        'GUEST_PROVISION_FAILED',
        `systemctl ${args.join(' ')} failed: ${result.stderr.trim()}`,
        {
          hint: `see: journalctl -u ${SYSTEMD_UNIT}`,
        },
      );
    }
  }
  const { prepareBrokerKeys, restartBrokerAgent } = await import('../kbs/local-keys.js');
  return up({ dir, keyProvider: prepareBrokerKeys, keyServiceRestarter: restartBrokerAgent });
}
