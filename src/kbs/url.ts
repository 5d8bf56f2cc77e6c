import { ConfigError } from '../errors.js';

/** Validates a broker URL: https only, no credentials, query or fragment. */
export function parseKbsUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new ConfigError('INVALID_OPTION', `--kbs ${value} is not a URL`, {
      hint: 'give the broker base URL, such as https://127.0.0.1:8443',
      cause: error,
    });
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) {
    // The origin leaves out credentials, which must not reach an error message.
    throw new ConfigError('INVALID_OPTION', `--kbs ${url.origin} must be a plain https:// URL`, {
      hint: 'the broker speaks HTTPS only; give its base URL without credentials, query or fragment, such as https://127.0.0.1:8443',
    });
  }
  return url;
}
