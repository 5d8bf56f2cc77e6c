import { createHash } from 'node:crypto';

// Successful signature checks, keyed by SHA-256 over the exact signed bytes, the signature and
// the signer's certificate. The same CRLs, TCB Info, QE identity and CA certificates come back
// with every quote of a platform, and a P-256 verification costs about 100 µs, while hashing a
// few kilobytes costs a few. Only successes are kept, so a failure is always re-checked.
const CACHE_SIZE = 4096;
const verified = new Map<string, true>();

/** Runs a signature check, or reuses an earlier success on the same inputs when `enabled`. */
export function checkSignature(
  enabled: boolean,
  parts: readonly (Uint8Array | string)[],
  check: () => boolean,
): boolean {
  if (!enabled) return check();

  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    // Length prefixes keep different splits of the same bytes apart.
    hash.update(`${bytes.length}:`).update(bytes);
  }
  const key = hash.digest('hex');
  if (verified.has(key)) return true;

  const valid = check();
  if (valid) {
    verified.set(key, true);
    if (verified.size > CACHE_SIZE) verified.delete(verified.keys().next().value!);
  }
  return valid;
}
