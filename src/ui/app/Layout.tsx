// The frame of every page: masthead (registry title, the signed-in user, sign out), the
// navigation, the read-only banner, and a skip link to the content.
import {
  Banner,
  Button,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadMain,
  Nav,
  NavItem,
  NavList,
  Page,
  PageSidebar,
  PageSidebarBody,
  SkipToContent,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from "@patternfly/react-core";
import type { ReactNode } from "react";
import { message } from "./api/client";
import { navigate, useLocation } from "./router";
import { useSession } from "./session";

export function Layout({ children }: { children: ReactNode }) {
  const { config, user, signOut } = useSession();
  const { path } = useLocation();
  const title = config.config.REGISTRY_TITLE || "Berth";
  const item = (to: string, label: string, match = to) => (
    <NavItem key={to} to={to} isActive={path === match || path.startsWith(`${match}/`)}>
      {label}
    </NavItem>
  );
  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadBrand>
          <a href="/repository" className="berth-brand">
            <img src="/static/img/berth-logo.svg" alt={title} height={32} />
          </a>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight>
          <ToolbarContent>
            <ToolbarItem align={{ default: "alignEnd" }}>
              {user ? (
                <>
                  <a href={`/user/${encodeURIComponent(user.username)}`} className="berth-masthead-user">
                    {user.username}
                  </a>
                  <Button
                    variant="secondary"
                    onClick={() =>
                      signOut().then(
                        () => navigate("/signin"),
                        (e) => alert(message(e)),
                      )
                    }
                  >
                    Sign out
                  </Button>
                </>
              ) : (
                <Button variant="secondary" component="a" href="/signin">
                  Sign in
                </Button>
              )}
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  );
  const sidebar = (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Main">
          <NavList>
            {item("/repository", "Repositories")}
            {user && item("/organization", "Organizations")}
            {user && item(`/user/${encodeURIComponent(user.username)}`, "Account")}
            {user?.super_user && item("/superuser", "Superuser")}
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );
  return (
    <Page
      masthead={masthead}
      sidebar={sidebar}
      isManagedSidebar
      skipToContent={<SkipToContent href="#main">Skip to content</SkipToContent>}
      mainContainerId="main"
    >
      {config.registry_state === "readonly" && (
        <Banner color="yellow" role="status">
          This registry is read-only: pushes and changes are refused until an administrator turns it back.
        </Banner>
      )}
      {children}
    </Page>
  );
}
