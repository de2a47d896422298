// Where an OAuth application may send a token (pure). Quay accepts the registered redirect URI
// as a prefix, or its own local handler page. A bare prefix would let `https://app.example`
// match `https://app.example.evil`, so the prefix must end at a path, query or fragment boundary.

export const LOCAL_OAUTH_HANDLER = "/oauth/localapp";

export function redirectAllowed(registered: string, requested: string, localHandlerUrl: string): boolean {
  if (requested === localHandlerUrl) return true;
  if (!registered || !requested || !/^https?:\/\//.test(requested)) return false;
  if (requested === registered) return true;
  if (!requested.startsWith(registered)) return false;
  return /[/?#]$/.test(registered) || /^[/?#]/.test(requested.slice(registered.length));
}

/** The implicit grant's answer: the token travels in the fragment, never to the server behind the URI. */
export function tokenRedirect(redirectUri: string, token: string, expiresInSeconds: number): string {
  const base = redirectUri.split("#")[0]!;
  return `${base}#access_token=${encodeURIComponent(token)}&token_type=Bearer&expires_in=${expiresInSeconds}`;
}

/** An OAuth error for the client, in the fragment as the implicit grant does. */
export function errorRedirect(redirectUri: string, error: string): string {
  return `${redirectUri.split("#")[0]!}#error=${encodeURIComponent(error)}`;
}
