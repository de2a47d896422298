// How Quay describes an OAuth scope to the user who grants it (auth/scopes.py's
// get_scope_information): title, the scope's name, what it allows, an icon for the web client and
// whether granting it is dangerous. Titles are the names discovery offers; descriptions are ours.
import { OAUTH_SCOPES } from "./discovery";

const ABOUT: Record<string, { icon: string; dangerous: boolean; description: string }> = {
  "repo:read": { icon: "fa-hdd-o", dangerous: false, description: "The application can view and pull every repository you can see." },
  "repo:write": { icon: "fa-hdd-o", dangerous: false, description: "The application can view, pull and push every repository you can write to." },
  "repo:admin": { icon: "fa-hdd-o", dangerous: false, description: "The application can administer every repository you administer." },
  "repo:create": { icon: "fa-plus", dangerous: false, description: "The application can create repositories wherever you can." },
  "user:read": { icon: "fa-user", dangerous: false, description: "The application can read your account details, such as your name and e-mail address." },
  "user:admin": { icon: "fa-gear", dangerous: true, description: "The application can administer your account, including its robots and their grants. Grant it only to applications you fully trust." },
  "org:admin": { icon: "fa-gear", dangerous: true, description: "The application can administer your organizations: robots, teams and their members. Grant it only to applications you fully trust." },
  "super:user": { icon: "fa-street-view", dangerous: true, description: "The application can administer this registry as you would from the superuser panel. Grant it only to applications you fully trust." },
};

/** Quay's scope information list for a stored, space-separated scope string. */
export function scopeInformation(scope: string) {
  return scope
    .split(/[\s,]+/)
    .filter((s) => s !== "")
    .map((name) => ({
      title: OAUTH_SCOPES[name] ?? name,
      scope: name,
      description: ABOUT[name]?.description ?? "",
      icon: ABOUT[name]?.icon ?? "fa-question",
      dangerous: ABOUT[name]?.dangerous ?? true,
    }));
}
