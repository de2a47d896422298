// What the server learns about a request while routes run, for its log line: the request id
// and who the caller turned out to be. The server attaches a note to each request; the code that
// establishes the caller (the /v2 token check, the token endpoint, API v1's session) names it.
// A request copied on its way (a body read into memory) carries the same note.

export interface RequestNote {
  /** The X-Request-ID: the client's when well formed, else one made here. */
  readonly id: string;
  /** The user, robot or token subject the request is made as. */
  caller?: string;
}

const notes = new WeakMap<Request, RequestNote>();

export function attachNote(request: Request, note: RequestNote): void {
  notes.set(request, note);
}

/** The copy made of a request (its body read into memory) shares the original's note. */
export function carryNote(from: Request, to: Request): void {
  const note = notes.get(from);
  if (note) notes.set(to, note);
}

export function noteCaller(request: Request, caller: string): void {
  const note = notes.get(request);
  if (note) note.caller = caller;
}

export function noteOf(request: Request): RequestNote | undefined {
  return notes.get(request);
}

// A client's id is used when it is short and plain (it is echoed in a header and written to the
// log); anything else gets one of ours.
const CLIENT_ID = /^[A-Za-z0-9._:@\/+=-]{1,128}$/;

// Ours: a random prefix per process and a counter, unique without a random draw per request.
const PREFIX = crypto.randomUUID().slice(0, 8);
let counter = 0;

/** The id for a request: its X-Request-ID header when well formed, else a new one. */
export function requestIdFor(header: string | null): string {
  if (header !== null && CLIENT_ID.test(header)) return header;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PREFIX}-${counter.toString(36)}`;
}
