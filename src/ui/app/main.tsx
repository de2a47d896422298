// The web UI's entry: PatternFly's styles (bundled, fonts included), Berth's few, the app.
import { createRoot } from "react-dom/client";
import "@patternfly/react-core/dist/styles/base.css";
import "./app.css";
import { App } from "./App";

createRoot(document.getElementById("root")!).render(<App />);
