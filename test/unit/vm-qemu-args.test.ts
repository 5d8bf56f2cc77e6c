import { describe, expect, it } from 'vitest';
import { buildQemuArgs } from '../../src/vm/qemu-args.js';
import { regularSpec, tdSpec } from '../helpers/vm-spec.js';

const control = { qmpSocket: '/run/vm/qmp.sock', pidFile: '/run/vm/qemu.pid' };

function valueAfter(args: string[], option: string): string[] {
  return args.flatMap((arg, index) => (arg === option ? [args[index + 1]!] : []));
}

describe('buildQemuArgs', () => {
  it('runs a regular VM daemonized with QMP and the console in a file', () => {
    const args = buildQemuArgs(regularSpec({ accel: 'tcg' }), control, 'upstream');
    expect(valueAfter(args, '-qmp')).toEqual(['unix:/run/vm/qmp.sock,server=on,wait=off']);
    expect(valueAfter(args, '-accel')).toEqual(['tcg,thread=multi']);
    expect(args).toContain('-daemonize');
    expect(valueAfter(args, '-chardev')[0]).toBe(
      'file,id=console0,path=/var/lib/mariadb-tdx/vms/regular-1/console.log',
    );
  });

  it('forwards only host-loopback ports', () => {
    const [netdev] = valueAfter(buildQemuArgs(regularSpec(), control, 'upstream'), '-netdev');
    expect(netdev).toBe(
      'user,id=mtdxnet0,hostfwd=tcp:127.0.0.1:40022-:22,hostfwd=tcp:127.0.0.1:43306-:3306',
    );
  });

  it('boots a kernel directly when asked', () => {
    const args = buildQemuArgs(
      regularSpec({
        directBoot: { kernel: '/k', initrd: '/i', cmdline: 'console=ttyS0 root=/dev/vda rw' },
      }),
      control,
      'upstream',
    );
    expect(valueAfter(args, '-kernel')).toEqual(['/k']);
    expect(valueAfter(args, '-initrd')).toEqual(['/i']);
    expect(valueAfter(args, '-append')).toEqual(['console=ttyS0 root=/dev/vda rw']);
  });

  it('describes an upstream TD with a tdx-guest object and split irqchip', () => {
    const args = buildQemuArgs(tdSpec(), control, 'upstream');
    const object = JSON.parse(valueAfter(args, '-object')[0]!) as Record<string, unknown>;
    expect(object['qom-type']).toBe('tdx-guest');
    expect(object.attributes).toBe(0x10000000);
    expect(object['quote-generation-socket']).toEqual({
      type: 'unix',
      path: '/var/run/tdx-qgs/qgs.socket',
    });
    expect(valueAfter(args, '-machine')[0]).toContain(
      'kernel-irqchip=split,confidential-guest-support=tdx0',
    );
    expect(valueAfter(args, '-bios')).toEqual(['/usr/share/ovmf/OVMF.tdx.fd']);
  });

  it('gives a canonical TD a vsock service and a RAM backend', () => {
    const spec = tdSpec({
      td: { ...tdSpec().td!, quoteGenerationService: { type: 'vsock', cid: 2, port: 4050 } },
    });
    const args = buildQemuArgs(spec, control, 'canonical');
    const objects = valueAfter(args, '-object');
    expect(JSON.parse(objects[0]!)['quote-generation-socket']).toEqual({
      type: 'vsock',
      cid: '2',
      port: '4050',
    });
    expect(objects[1]).toBe('memory-backend-ram,id=mem0,size=2048M');
    expect(valueAfter(args, '-machine')[0]).toContain('memory-backend=mem0');
  });

  it('never gives a TD the TCG accelerator', () => {
    const args = buildQemuArgs(tdSpec({ accel: 'tcg' }), control, 'upstream');
    expect(valueAfter(args, '-accel')).toEqual(['kvm']);
  });
});
