drop table rate_limits;
drop table oidc_keys;
drop table oauth_tokens;
alter table oauth_codes drop column nonce;
drop table oauth_sessions;
