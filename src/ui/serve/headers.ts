// Security headers on every web UI response. The shell has no inline script or style (the
// bundle's files only, from this origin), may not be framed, and sends no referrer elsewhere.

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // PatternFly's components position popovers with style attributes set through the DOM
  // (element.style), which CSP allows; no <style> element or style="" in markup is needed.
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function uiHeaders(type: string): Headers {
  return new Headers({
    "Content-Type": type,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
  });
}
