alter table oauth_grants drop column last_used_at, drop column expires_at;
drop table oauth_clients;
