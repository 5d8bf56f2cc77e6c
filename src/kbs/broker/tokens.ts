import { randomUUID } from 'node:crypto';
import { SignJWT, generateKeyPair, jwtVerify, type CryptoKey } from 'jose';
import { BrokerError } from '../errors.js';
import { TeePublicKeySchema, type TeePublicKey } from '../protocol.js';

const TOKEN_ALGORITHM = 'ES256';
const ISSUER = 'mariadb-tdx-kbs';

/** The verified content of an attestation token. */
export interface TokenContent {
  readonly teePubkey: TeePublicKey;
  readonly claims: Record<string, unknown>;
}

/**
 * Issues and checks attestation tokens: JWTs signed with a key pair that lives only in this
 * process, so tokens die with the broker and no token signing key is ever stored.
 */
export class TokenIssuer {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
  ) {}

  static async create(): Promise<TokenIssuer> {
    const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM);
    return new TokenIssuer(privateKey, publicKey);
  }

  /** Signs a token that carries the TD's public key and public claims until `expiresAt` (ms). */
  async issue(teePubkey: TeePublicKey, claims: Record<string, unknown>, expiresAt: number) {
    return new SignJWT({ 'tee-pubkey': teePubkey, tdx: claims })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(this.privateKey);
  }

  /** Verifies a bearer token; fails with TOKEN_INVALID without saying which check failed. */
  async verify(token: string): Promise<TokenContent> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: ISSUER,
        algorithms: [TOKEN_ALGORITHM],
      });
      const teePubkey = TeePublicKeySchema.parse(payload['tee-pubkey']);
      return { teePubkey, claims: (payload.tdx ?? {}) as Record<string, unknown> };
    } catch (error) {
      throw new BrokerError('TOKEN_INVALID', 'the bearer token is not valid for this broker', {
        hint: 'attest again: tokens expire and do not survive a broker restart',
        cause: error,
      });
    }
  }
}
