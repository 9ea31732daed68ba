-- When each service's periodic jobs last ran, shared by every instance: a
-- job runs once per period whatever the number of instances, and a restart
-- runs an overdue job at once instead of waiting a whole period.
create table job_runs (
    service     text not null,
    job         text not null,
    started_at  timestamptz not null,
    finished_at timestamptz,
    last_error  text,
    primary key (service, job)
);

-- Grants issued before 0008 take the scopes of the code or device code they
-- came from.
update oauth_grants g set scope = c.scope
  from oauth_codes c where c.grant_token = g.token and g.scope is null and c.scope is not null;
update oauth_grants g set scope = d.scope
  from oauth_device_codes d where g.issuer_session = 'device:' || d.id and g.scope is null and d.scope is not null;
