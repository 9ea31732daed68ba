drop table if exists oauth_consents;
alter table oauth_clients
    drop column if exists frontchannel_logout_session_required,
    drop column if exists frontchannel_logout_uri;
