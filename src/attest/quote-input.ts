/**
 * Quote bytes from the content of a quote file: the raw binary quote, or base64 or hex text of it
 * (trustee evidence and many tools print quotes as base64). A binary quote starts with a version
 * number below 0x20, so it is never mistaken for text.
 */
export function decodeQuoteInput(content: Uint8Array): Uint8Array {
  if (content.length === 0 || content[0]! < 0x20) return content;
  const text = Buffer.from(content).toString('latin1').replace(/\s+/g, '');
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) {
    return new Uint8Array(Buffer.from(text, 'hex'));
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    return new Uint8Array(
      Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64'),
    );
  }
  return content;
}
