// Berth's logo for Quay's web client (the `BRANDING.logo` of GET /config). The SVG lives in this
// file, so it is inside the one executable; it draws only shapes and text and is served with a
// policy that lets no script run even when opened on its own.

export const BERTH_LOGO_PATH = "/static/img/berth-logo.svg";

const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40" role="img" aria-label="Berth">
<rect x="2" y="24" width="36" height="6" rx="2" fill="#2c6fbb"/>
<rect x="6" y="8" width="12" height="14" rx="1.5" fill="#4a90d9"/>
<rect x="20" y="12" width="14" height="10" rx="1.5" fill="#7fb3e8"/>
<path d="M2 34 q4.5 -3 9 0 t9 0 t9 0 t9 0" fill="none" stroke="#2c6fbb" stroke-width="2" stroke-linecap="round"/>
<text x="48" y="29" font-family="Helvetica, Arial, sans-serif" font-size="24" font-weight="700" fill="#2c6fbb">Berth</text>
</svg>
`;

export function logoResponse(): Response {
  return new Response(LOGO_SVG, {
    headers: {
      "Content-Type": "image/svg+xml",
      "Cache-Control": "public, max-age=86400",
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    },
  });
}
