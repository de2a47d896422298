// The pages by path. Every deep link the server answers with the app shell lands here.
import { PageSection } from "@patternfly/react-core";
import { useEffect } from "react";
import { Layout } from "./Layout";
import { FreshLoginPrompt } from "./components/FreshLogin";
import { Empty, Failed, Loading } from "./components/Status";
import { RepositoryListPage } from "./pages/RepositoryList";
import { RepositoryPage } from "./pages/Repository";
import { OrganizationListPage, OrganizationPage } from "./pages/Organization";
import { UserPage } from "./pages/User";
import { SuperuserPage } from "./pages/Superuser";
import { SignInPage, SignUpPage } from "./pages/SignIn";
import { navigate, useLinkInterception, useLocation } from "./router";
import { SessionProvider, useSession } from "./session";

function Pages() {
  const { path } = useLocation();
  const { user } = useSession();
  const parts = path.split("/").filter(Boolean);
  const needsUser = !user && !["signin", "signup", "repository"].includes(parts[0] ?? "");
  useEffect(() => {
    if (path === "/" || path === "/index.html") navigate("/repository", true);
    else if (needsUser) navigate(`/signin?redirect=${encodeURIComponent(path + location.search)}`, true);
  }, [path, needsUser]);
  if (needsUser) return null;
  switch (parts[0]) {
    case "signin":
      return <SignInPage />;
    case "signup":
      return <SignUpPage />;
    case "repository":
      // Names have slashes: /repository/<namespace>/<name…>.
      if (parts.length >= 3) return <RepositoryPage namespace={parts[1]!} name={parts.slice(2).join("/")} />;
      return <RepositoryListPage />;
    case "organization":
      return parts[1] ? <OrganizationPage org={parts[1]} /> : <OrganizationListPage />;
    case "user":
      return <UserPage username={parts[1] ?? user!.username} />;
    case "superuser":
      return <SuperuserPage />;
    default:
      return (
        <PageSection>
          <Empty title="Page not found">Nothing lives at {path}.</Empty>
        </PageSection>
      );
  }
}

export function App() {
  useLinkInterception();
  return (
    <SessionProvider fallback={(error) => (error ? <Failed error={error} what="the registry's settings" /> : <Loading what="Berth" />)}>
      <Layout>
        <Pages />
      </Layout>
      <FreshLoginPrompt />
    </SessionProvider>
  );
}
