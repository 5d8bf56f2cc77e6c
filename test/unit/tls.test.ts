import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateTlsMaterial, summarizeCertificate } from '../../src/mariadb/tls.js';

describe('generateTlsMaterial', async () => {
  const material = await generateTlsMaterial();
  const ca = new X509Certificate(material.caCert);
  const server = new X509Certificate(material.serverCert);
  const client = new X509Certificate(material.clientCert);

  it('makes a CA certificate', () => {
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
  });

  it('signs the server and client certificates with the CA', () => {
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(server.ca).toBe(false);
  });

  it('covers the loopback names', () => {
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBe('::1');
    expect(server.checkIP('10.0.0.1')).toBeUndefined();
  });

  it('restricts key usage to server and client authentication', () => {
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('exports keys that match their certificates', () => {
    const serverKey = createPrivateKey(material.serverKey);
    expect(server.checkPrivateKey(serverKey)).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(material.caKey))).toBe(true);
    expect(client.checkPrivateKey(createPrivateKey(material.clientKey))).toBe(true);
  });

  it('summarizes expiry and fingerprint', () => {
    const summary = summarizeCertificate(material.serverCert);
    expect(summary.fingerprint256).toBe(server.fingerprint256);
    const days = (summary.notAfter.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(800);
    expect(days).toBeLessThan(830);
  });
});
