// Error messages echo what the client sent so they can see their mistake, but a hostile client
// could send megabytes; this keeps the echo short and unambiguous (JSON-quoted).

const MAX_ECHO = 80;

export function quoteForMessage(value: string): string {
  const shown = value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value;
  return JSON.stringify(shown);
}
