// The pure OCI vocabulary of Berth: grammars, media types, manifest validation, header parsing.
// Nothing here does I/O.

export * from "./digest.ts";
export * from "./name.ts";
export * from "./reference.ts";
export * from "./v2Path.ts";
export * from "./mediaTypes.ts";
export * from "./descriptor.ts";
export * from "./manifestMediaType.ts";
export * from "./manifest.ts";
export * from "./httpRange.ts";
export * from "./quoteForMessage.ts";
export * from "./labelRules.ts";
export * from "./imageLabels.ts";
export * from "./imageLayers.ts";
export * from "./jsonBounds.ts";
export * from "./tarHeader.ts";
export * from "./archiveNames.ts";
export * from "./dockerArchive.ts";
