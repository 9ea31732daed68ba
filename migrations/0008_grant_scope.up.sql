-- A grant remembers the scopes it was issued for (from its authorization
-- code or device code), so a client verifying it learns what it may do.
alter table oauth_grants add column scope text;
