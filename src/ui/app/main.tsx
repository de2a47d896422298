import { createRoot } from "react-dom/client";
import "@patternfly/react-core/dist/styles/base.css";
import { Page, PageSection, Title } from "@patternfly/react-core";

function App() {
  return (
    <Page>
      <PageSection>
        <Title headingLevel="h1">Berth</Title>
      </PageSection>
    </Page>
  );
}

createRoot(document.getElementById("root")!).render(<App />);
