// A blob streamed from upstream is checked as it passes: hashed chunk by chunk (never held whole)
// and failed at its end when its digest or size is not the one asked for, so the reader (an
// upload session) never commits bytes that are not the blob named.
import { digestHasher, type DigestAlgorithm } from "../oci";

export class DigestMismatch extends Error {}

/** `body` passed through unchanged; the stream errors instead of ending when the bytes are not `digest` (or not `size` long). */
export function verifiedStream(body: ReadableStream<Uint8Array>, digest: string, size?: number): ReadableStream<Uint8Array> {
  const [alg, hex] = digest.split(":") as [DigestAlgorithm, string];
  const hasher = digestHasher(alg);
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (size !== undefined && seen > size) return controller.error(new DigestMismatch(`${digest}: more than the ${size} bytes its descriptor says`));
        hasher.update(chunk);
        controller.enqueue(chunk);
      },
      flush(controller) {
        if (size !== undefined && seen !== size) return controller.error(new DigestMismatch(`${digest}: ${seen} bytes, its descriptor says ${size}`));
        const got = hasher.digest("hex");
        if (got !== hex) controller.error(new DigestMismatch(`upstream sent ${alg}:${got} for ${digest}`));
      },
    }),
  );
}
