import { join } from 'node:path';
import { connect, type Connection, type ConnectionOptions } from '../mariadb/connection.js';
import { stateLayout, type StateLayout } from '../mariadb/layout.js';
import { profileTmpDir, type ServerOption } from '../mariadb/profile.js';
import { localConnectionOptions } from '../local/client.js';
import { readManifest } from '../local/manifest.js';
import { up, type LocalServerInfo } from '../local/up.js';
import type { DemoProfile } from './matrix.js';

/** A server the demo started, with what it needs to reach it. */
export interface DemoServer {
  readonly profile: DemoProfile;
  readonly info: LocalServerInfo;
  readonly layout: StateLayout;
  readonly connection: ConnectionOptions;
  readonly tmpDir: { readonly path: string; readonly onRam: boolean };
  /** Opens a new admin connection over verified TLS. */
  connect(): Promise<Connection>;
}

/**
 * Settings both demo servers share. The demo's data set is small, so a small Aria page cache
 * makes temporary tables reach their files as they do on a server with more data than memory.
 */
export const DEMO_EXTRA_OPTIONS: readonly ServerOption[] = [
  {
    name: 'aria_pagecache_buffer_size',
    value: '1M',
    reason:
      'small cache: temporary tables reach their files, as on a server with more data than memory',
  },
];

/** Starts one demo server in `<workDir>/<profile>` with up's machinery. */
export async function startDemoServer(
  workDir: string,
  profile: DemoProfile,
  signal?: AbortSignal,
): Promise<DemoServer> {
  const dir = join(workDir, profile);
  const info = await up({ dir, profile, extraOptions: DEMO_EXTRA_OPTIONS, signal });
  const layout = stateLayout(dir);
  const connection = await localConnectionOptions(layout, await readManifest(layout));
  return {
    profile,
    info,
    layout,
    connection,
    tmpDir: profileTmpDir(profile, layout),
    connect: () => connect(connection),
  };
}
