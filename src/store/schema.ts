// Every metadata table, one module per concern under ./tables.
export * from "./tables/registry";
export * from "./tables/accounts";
export * from "./tables/activity";
export * from "./tables/messages";
export * from "./tables/policies";
export * from "./tables/health";
export * from "./tables/quotas";
export * from "./tables/mirrors";
export * from "./tables/proxyCaches";
