// The web UI bundle, embedded at build time (src/ui/build/embedded.ts runs as a macro). This
// module is imported lazily by the server: from sources, the bundle is built at the first UI
// request, not in every process that builds the app (the API tests).
import { embeddedUi } from "../build/embedded" with { type: "macro" };
import type { UiBundle } from "../build/bundle";

export const UI_BUNDLE: UiBundle = embeddedUi();
