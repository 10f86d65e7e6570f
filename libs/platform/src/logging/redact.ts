/**
 * Scrubs secrets from text bound for logs or probe answers: passwords in URLs (postgres://u:pw@,
 * redis://:pw@), Trainyard API keys (ty_<id>_<secret>: the id stays, the secret goes), and the exact
 * values registered at boot (the S3 secret key, the passwords of DATABASE_URL and REDIS_URL), also
 * when they appear percent-encoded.
 */
const known = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 4) return; // too short to search for without mangling ordinary words
  known.add(value);
  known.add(encodeURIComponent(value));
  try {
    known.add(decodeURIComponent(value));
  } catch {
    // not percent-encoded
  }
}

/** Registers the password of a URL (postgres://user:pw@host) as a secret. */
export function registerUrlSecret(url: string | undefined): void {
  if (!url) return;
  try {
    registerSecret(new URL(url).password);
  } catch {
    // config validation already rejected an unparseable URL
  }
}

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi;
const API_KEY = /\b(ty_[A-Za-z0-9_-]{12})_[A-Za-z0-9_-]{43}\b/g;

export function redactSecrets(text: string): string {
  let out = text.replace(URL_PASSWORD, '$1***@').replace(API_KEY, '$1_***');
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join('***');
  return out;
}
