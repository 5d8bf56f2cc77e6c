import { access, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VmError } from './errors.js';
import { lastLines, locateTool, runTool, runToolChecked } from './tools.js';

/** Format, size and backing file of an image, from `qemu-img info`. */
export interface ImageInfo {
  readonly path: string;
  readonly format: string;
  readonly virtualSize: number;
  readonly backingFile?: string | undefined;
}

/** Reads an image's format and size with `qemu-img info`, without trusting its file name. */
export async function inspectImage(path: string): Promise<ImageInfo> {
  const absolute = resolve(path);
  try {
    await access(absolute, constants.R_OK);
  } catch (error) {
    throw new VmError('IMAGE_NOT_FOUND', `image ${absolute} does not exist or is not readable`, {
      hint: 'pass --image with the path of a qcow2 base image',
      cause: error,
    });
  }

  const qemuImg = await locateTool('qemu-img');
  // --force-share reads an image that a running VM keeps open, as base images are.
  const result = await runTool(qemuImg, ['info', '--output=json', '--force-share', absolute]);
  if (result.code !== 0) {
    throw new VmError(
      'IMAGE_NOT_QCOW2',
      `qemu-img cannot read ${absolute}: ${lastLines(result.stderr, 3)}`,
      {
        hint: 'pass a qcow2 image, for example an Ubuntu or Debian cloud image',
      },
    );
  }

  const info = JSON.parse(result.stdout) as {
    format?: string;
    'virtual-size'?: number;
    'backing-filename'?: string;
  };
  return {
    path: absolute,
    format: info.format ?? 'unknown',
    virtualSize: info['virtual-size'] ?? 0,
    backingFile: info['backing-filename'],
  };
}

/** Checks that a base image is qcow2; IMAGE_NOT_QCOW2 gives the command that converts it. */
export async function requireQcow2(path: string): Promise<ImageInfo> {
  const info = await inspectImage(path);
  if (info.format !== 'qcow2') {
    const stem = info.path.replace(/\.[^./]+$/, '');
    const target = `${stem}.qcow2` === info.path ? `${stem}-converted.qcow2` : `${stem}.qcow2`;
    throw new VmError('IMAGE_NOT_QCOW2', `image ${info.path} is ${info.format}, not qcow2`, {
      hint: `convert it: qemu-img convert -O qcow2 ${shellQuote(info.path)} ${shellQuote(target)}`,
    });
  }
  return info;
}

/** Quotes a path for a POSIX shell when it contains anything beyond safe characters. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Creates a qcow2 overlay backed by the base image, so the VM writes only to the overlay and
 * the base image stays unchanged for the next VM.
 */
export async function createOverlay(base: ImageInfo, overlay: string) {
  const qemuImg = await locateTool('qemu-img');
  await runToolChecked(
    qemuImg,
    ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base.path, overlay],
    { what: `qemu-img create ${overlay}` },
  );
}
