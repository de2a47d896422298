// The shapes of the API v1 answers the pages read (Quay's; only the fields used here).

export interface WebConfig {
  config: { SERVER_HOSTNAME: string; PREFERRED_URL_SCHEME: string; REGISTRY_TITLE: string; REGISTRY_TITLE_SHORT?: string; TAG_EXPIRATION_OPTIONS?: string[] };
  features: Record<string, boolean>;
  registry_state: "normal" | "readonly" | string;
}

export interface UserOrg {
  name: string;
  is_org_admin: boolean;
  can_create_repo: boolean;
}

export interface CurrentUser {
  anonymous?: boolean;
  username: string;
  email?: string;
  super_user?: boolean;
  can_create_repo?: boolean;
  organizations?: UserOrg[];
}

export interface RepoSummary {
  namespace: string;
  name: string;
  description?: string | null;
  is_public: boolean;
  is_starred?: boolean;
  last_modified?: number | null;
  kind?: string;
  state?: string;
}

export interface RepoDetail extends RepoSummary {
  can_write: boolean;
  can_admin: boolean;
  tag_expiration_s?: number;
}

export interface Tag {
  name: string;
  manifest_digest: string;
  is_manifest_list: boolean;
  size: number | null;
  last_modified: string;
  start_ts: number;
  end_ts?: number;
  expiration?: string;
  immutable?: boolean;
}

export interface TagPage {
  tags: Tag[];
  page: number;
  has_additional: boolean;
}

export interface Layer {
  index: number;
  compressed_size: number | null;
  blob_digest: string;
  command?: string[] | null;
  created_datetime?: string | null;
}

export interface Manifest {
  digest: string;
  is_manifest_list: boolean;
  manifest_data: string;
  config_media_type?: string | null;
  layers?: Layer[] | null;
}

export interface Label {
  id: string;
  key: string;
  value: string;
  source_type: string;
  media_type: string;
}

export interface LogEntry {
  kind: string;
  datetime: string;
  ip?: string | null;
  metadata: Record<string, unknown>;
  performer?: { name: string; kind: string } | null;
  namespace?: { name: string } | null;
}

export interface Aggregate {
  kind: string;
  count: number;
  datetime: string;
}

export interface Entity {
  name: string;
  kind: "user" | "team" | "org" | string;
  is_robot?: boolean;
}

export interface Team {
  name: string;
  description?: string;
  role: string;
  member_count?: number;
  repo_count?: number;
  can_view?: boolean;
}

export interface Organization {
  name: string;
  email?: string;
  is_admin?: boolean;
  is_member?: boolean;
  teams?: Record<string, Team>;
  tag_expiration_s?: number;
}

export interface Robot {
  name: string;
  description?: string;
  created?: string;
  last_accessed?: string | null;
  token?: string;
  teams?: { name: string }[];
  repositories?: string[];
}

export interface Member {
  name: string;
  kind: string;
  is_robot?: boolean;
}
